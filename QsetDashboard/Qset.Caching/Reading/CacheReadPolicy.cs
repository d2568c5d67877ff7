namespace Qset.Caching;

/// <summary>
/// How a read is cached: the entity type its events carry, the tables whose versions it is checked against,
/// and its time to live (null: <see cref="CacheOptions.DefaultTtl"/>).
/// </summary>
public sealed record CacheReadPolicy(string EntityType, IReadOnlyList<TableDependency> DependsOn, TimeSpan? Ttl = null)
{
    /// <summary>The policy of a by-id read of <typeparamref name="T"/>: stale after a bulk write to its table. Made once per type.</summary>
    public static CacheReadPolicy ById<T>() => ByIdPolicy<T>.Value;

    /// <summary>
    /// True (the default): a populate is refused when its key was invalidated after the database read began. False
    /// takes the populate's ticket after the read instead, so a write during the read is missed and its stale value
    /// cached: the race the guard exists for, shown on purpose. Never turn it off to serve data.
    /// </summary>
    public bool PopulateGuard { get; init; } = true;

    /// <summary>
    /// How long the readers of a miss wait for the database before fail-safe answers them with the key's last value
    /// (when it may), the read going on in the background to populate; null: <see cref="CacheOptions.FactorySoftTimeout"/>.
    /// </summary>
    public TimeSpan? SoftTimeout { get; init; }

    /// <summary>
    /// The longest a database read may take: past it the read fails (or fail-safe answers); null:
    /// <see cref="CacheOptions.FactoryHardTimeout"/>.
    /// </summary>
    public TimeSpan? HardTimeout { get; init; }

    /// <summary>
    /// How long a value fail-safe served is served again before the database is asked once more; null:
    /// <see cref="CacheOptions.FailSafeThrottle"/>.
    /// </summary>
    public TimeSpan? FailSafeThrottle { get; init; }

    private static class ByIdPolicy<T>
    {
        public static readonly CacheReadPolicy Value = new(
            CacheKeys.EntityName<T>(),
            [new TableDependency(CacheKeys.EntityName<T>(), TableVersionKind.BulkWrite)]);
    }
}
