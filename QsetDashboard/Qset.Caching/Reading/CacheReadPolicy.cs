namespace Qset.Caching;

/// <summary>
/// How a read is cached: the entity type its events carry, the tables whose versions it is checked against,
/// and its time to live (null: <see cref="CacheOptions.DefaultTtl"/>).
/// </summary>
public sealed record CacheReadPolicy(string EntityType, IReadOnlyList<TableDependency> DependsOn, TimeSpan? Ttl = null)
{
    /// <summary>The policy of a by-id read of <typeparamref name="T"/>: stale after a bulk write to its table. Made once per type.</summary>
    public static CacheReadPolicy ById<T>() => ByIdPolicy<T>.Value;

    private static class ByIdPolicy<T>
    {
        public static readonly CacheReadPolicy Value = new(
            CacheKeys.EntityName<T>(),
            [new TableDependency(CacheKeys.EntityName<T>(), TableVersionKind.BulkWrite)]);
    }
}
