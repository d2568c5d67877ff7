namespace Qset.Caching;

/// <summary>One thing the cache did, as the journal, the log and the dashboard see it.</summary>
/// <param name="Sequence">Position in the journal, from 1, strictly increasing.</param>
/// <param name="Timestamp">When it happened, from the injected <see cref="TimeProvider"/>.</param>
/// <param name="Kind">What happened.</param>
/// <param name="Key">The cache key it happened to.</param>
/// <param name="EntityType">The entity type behind the key, when known.</param>
/// <param name="Source">Who caused it: the <see cref="CacheContext"/> source of the operation (<c>app</c> by default, <c>ef</c> for automatic invalidation, <c>store</c>, ...).</param>
/// <param name="Duration">How long the operation took (for a populate, the database read).</param>
/// <param name="Detail">Why, when the kind alone does not say: the reason for a reject, an eviction or a clash.</param>
/// <param name="Count">
/// How many values it stands for: 1 for an event of one key; for one that stands for many (key <c>*</c>: a bulk write
/// of a table, a flush, an L1 clear), how many; for an INVALIDATE, how many values it removed (0 when the key held
/// none: every write records an invalidation, cached or not).
/// </param>
public readonly record struct CacheEvent(
    long Sequence,
    DateTimeOffset Timestamp,
    CacheEventKind Kind,
    string Key,
    string? EntityType,
    string Source,
    TimeSpan Duration,
    string? Detail,
    long Count = 1)
{
    /// <summary>The kind as the log and the API write it: <c>HIT</c>, <c>MISS</c>, <c>POPULATE</c>…</summary>
    public string Label => Kind.Label();
}
