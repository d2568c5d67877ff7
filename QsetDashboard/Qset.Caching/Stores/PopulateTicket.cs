namespace Qset.Caching;

/// <summary>
/// Proof of when a populate's database read began, in the store's invalidation order. Only the store that issued a
/// ticket reads it; the engine carries it from <see cref="ICacheStore.BeginPopulateAsync"/> to
/// <see cref="ICacheStore.TryPopulateAsync"/>.
/// </summary>
public readonly record struct PopulateTicket
{
    /// <summary>A ticket for <paramref name="key"/> at <paramref name="stamp"/> of the issuing store's invalidation clock.</summary>
    public PopulateTicket(string key, long stamp)
    {
        Key = key;
        Stamp = stamp;
    }

    /// <summary>The key the populate is for.</summary>
    public string Key { get; }

    /// <summary>The issuing store's invalidation clock when the read began.</summary>
    public long Stamp { get; internal init; }

    /// <summary>A two-level store's L1 stamp, checked as well as <see cref="Stamp"/>.</summary>
    internal long NearStamp { get; init; }

    /// <summary>A distributed store's bulk-write generation of the key's table when the read began (-1: none).</summary>
    internal long TableGeneration { get; init; } = -1;

    /// <summary>A distributed store's flush epoch when the read began (-1: none).</summary>
    internal long Epoch { get; init; } = -1;
}

/// <summary>Whether a populate stored its value, and if not, why.</summary>
public readonly record struct PopulateResult(bool Stored, string? Reason, string? ReplacedEntityType)
{
    /// <summary>The value was stored.</summary>
    public static PopulateResult StoredOver(string? replacedEntityType) => new(true, null, replacedEntityType);

    /// <summary>The value was refused.</summary>
    public static PopulateResult Rejected(string reason) => new(false, reason, null);
}
