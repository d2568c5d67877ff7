namespace Qset.Caching;

/// <summary>What happened to a cache key.</summary>
public enum CacheEventKind
{
    /// <summary>A read found the key in the cache.</summary>
    Hit,

    /// <summary>A read did not find the key and went to the database.</summary>
    Miss,

    /// <summary>A value read from the database was stored under the key.</summary>
    Populate,

    /// <summary>A write removed the key so that the next read sees the database.</summary>
    Invalidate,

    /// <summary>The store dropped the key to stay within its capacity.</summary>
    Evict,

    /// <summary>The key's time to live ran out.</summary>
    Expire,

    /// <summary>The key holds a value of another entity type: two models share one key space (the simple style's flaw).</summary>
    Clash,

    /// <summary>A populate was refused because its key was invalidated after the read began; the stale value was not stored.</summary>
    Reject,

    /// <summary>A database read for the key failed, or the store held a corrupt value (removed); nothing was cached.</summary>
    Error,

    /// <summary>The distributed store stopped answering: reads go to the database, nothing is cached until it is back.</summary>
    Degraded,

    /// <summary>The distributed store answers again; what this node may have missed was cleared.</summary>
    Recovered,

    /// <summary>
    /// The database read failed and a value past its TTL, which no write has invalidated, was served instead (fail-safe);
    /// the detail says why.
    /// </summary>
    Stale,

    /// <summary>A hit past the eager-refresh threshold of its TTL started a background database read of the key.</summary>
    Refresh,
}

/// <summary>The upper-case labels of <see cref="CacheEventKind"/>, made once so the hot path never formats an enum.</summary>
internal static class CacheEventKinds
{
    private static readonly string[] s_labels =
        [.. Enum.GetValues<CacheEventKind>().Select(k => k.ToString().ToUpperInvariant())];

    /// <summary>Every kind, in declaration order.</summary>
    public static IReadOnlyList<CacheEventKind> All { get; } = Enum.GetValues<CacheEventKind>();

    /// <summary>The label of a kind as the log writes it: <c>HIT</c>, <c>MISS</c>, ...</summary>
    public static string Label(this CacheEventKind kind) => s_labels[(int)kind];

    /// <summary>Parses a label such as <c>hit</c> or <c>HIT</c>.</summary>
    public static bool TryParse(string? text, out CacheEventKind kind) =>
        Enum.TryParse(text, ignoreCase: true, out kind) && Enum.IsDefined(kind);
}
