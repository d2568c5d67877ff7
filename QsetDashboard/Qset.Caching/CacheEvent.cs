namespace Qset.Caching;

/// <summary>One thing the cache did, as the journal, the log and the dashboard see it.</summary>
/// <param name="Sequence">Position in the journal, from 1, strictly increasing.</param>
/// <param name="Timestamp">When it happened, from the injected <see cref="TimeProvider"/>.</param>
/// <param name="Kind">What happened.</param>
/// <param name="Key">The cache key it happened to.</param>
/// <param name="EntityType">The entity type behind the key, when known.</param>
/// <param name="Source">Who caused it: a demo's name, <c>api</c>, <c>store</c>, ...</param>
/// <param name="Duration">How long the operation took (for a populate, the database read).</param>
/// <param name="Detail">Why, when the kind alone does not say: the reason for a reject, an eviction or a clash.</param>
public readonly record struct CacheEvent(
    long Sequence,
    DateTimeOffset Timestamp,
    CacheEventKind Kind,
    string Key,
    string? EntityType,
    string Source,
    TimeSpan Duration,
    string? Detail);
