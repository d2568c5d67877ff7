namespace Qset.Caching;

/// <summary>An entry a store removed: its key and entity type (what the INVALIDATE event of a flush names).</summary>
public readonly record struct RemovedEntry(string Key, string EntityType);

/// <summary>What a flush removed.</summary>
/// <param name="Count">How many entries it removed.</param>
/// <param name="Entries">
/// Each entry removed, when the store names them: every store does for up to 100 entries; past that a store may name
/// none (Redis: a flush is one call that counts what it removed and never walks it), and the flush is then recorded as
/// one event counting them.
/// </param>
public sealed record CacheClear(int Count, IReadOnlyList<RemovedEntry> Entries)
{
    /// <summary>True when <see cref="Entries"/> names every entry removed.</summary>
    public bool Named => Entries.Count == Count;
}
