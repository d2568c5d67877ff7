using StackExchange.Redis;

namespace Qset.Caching.Redis;

/// <summary>The names of every key and channel the Redis store uses, under the configured prefix.</summary>
internal sealed partial class RedisConnection
{
    /// <summary>The entry key of a cache key.</summary>
    public RedisKey EntryKey(string key) => $"{EntryPrefix}{key}";

    /// <summary>What every entry key starts with (the scripts name an entry by it and its cache key).</summary>
    public string EntryPrefix => $"{Prefix}e:";

    /// <summary>The generation key of a cache key: bumped by every invalidation, checked by every populate.</summary>
    public RedisKey GenerationKey(string key) => $"{GenerationPrefix}{key}";

    /// <summary>What every generation key starts with.</summary>
    public string GenerationPrefix => $"{Prefix}g:";

    /// <summary>The flush epoch: bumped by every flush, checked by every populate.</summary>
    public RedisKey EpochKey => $"{Prefix}epoch";

    /// <summary>
    /// What every index key starts with: each flush epoch has its own indexes (<c>{prefix}i:{epoch}:live</c> …), which
    /// the scripts name from the epoch they read, so a flush or a recovery empties them all with one increment.
    /// </summary>
    public string IndexPrefix => $"{Prefix}i:";

    /// <summary>The set of old flush epochs whose keys are still to be reclaimed (<see cref="RedisScripts.DropChunk"/>).</summary>
    public RedisKey EpochsKey => $"{Prefix}epochs";

    /// <summary>The index of the cache keys held of an entity type in <paramref name="epoch"/>: what a bulk write of that table touches.</summary>
    public RedisKey TypeIndexKey(long epoch, string entityType) => $"{IndexPrefix}{epoch}:z:{entityType}";

    /// <summary>The set of entity types that have had keys in <paramref name="epoch"/>: where the counts by type start.</summary>
    public RedisKey TypesKey(long epoch) => $"{IndexPrefix}{epoch}:types";

    /// <summary>The index of live keys in <paramref name="epoch"/>, each scored by when it expires: what the exact count reads.</summary>
    public RedisKey LiveIndexKey(long epoch) => $"{IndexPrefix}{epoch}:live";

    /// <summary>The index of live keys in <paramref name="epoch"/> scored by the size of their value's JSON: the listing by size.</summary>
    public RedisKey SizeIndexKey(long epoch) => $"{IndexPrefix}{epoch}:size";

    /// <summary>The lease of the node that reads <paramref name="key"/> from the database for the cluster now.</summary>
    public RedisKey LoadLeaseKey(string key) => $"{Prefix}load:{key}";

    /// <summary>The lease of the node that follows <paramref name="database"/>'s change feed for the cluster.</summary>
    public RedisKey FeedLeaseKey(string database) => $"{Prefix}feed:{database}:lease";

    /// <summary>The report of the node that follows <paramref name="database"/>: its feed's state, for the other nodes.</summary>
    public RedisKey FeedReportKey(string database) => $"{Prefix}feed:{database}:report";

    /// <summary>How far the cluster's follower of <paramref name="database"/> has applied its feed: where the next one resumes.</summary>
    public RedisKey FeedPositionKey(string database) => $"{Prefix}feed:{database}:position";

    /// <summary>The bulk-write generation key of a table.</summary>
    public RedisKey TableKey(string table) => $"{Prefix}t:{table}";

    /// <summary>
    /// The generation of every bulk write, whatever its table: what guards the populate of a bare key (the simple
    /// style's <c>1</c>), which names no table whose generation could.
    /// </summary>
    public RedisKey AnyBulkWriteKey => $"{Prefix}bulk";

    /// <summary>The bulk-write generation that guards a populate of <paramref name="key"/>: its table's, or for a bare key <see cref="AnyBulkWriteKey"/>.</summary>
    public RedisKey BulkGenerationKey(string key) => TableOf(key) is { } table ? TableKey(table) : AnyBulkWriteKey;

    /// <summary>The table of a by-id key (<c>User</c> of <c>User.1</c>), or null for a bare or query key.</summary>
    public static string? TableOf(string key)
    {
        var dot = key.IndexOf('.', StringComparison.Ordinal);
        return dot > 0 && !key.StartsWith(Queries.QueryKeys.Prefix, StringComparison.Ordinal) ? key[..dot] : null;
    }

    /// <summary>The cache key of an entry key, or null when it is not one of ours.</summary>
    public string? CacheKeyOf(string redisKey) =>
        redisKey.StartsWith(EntryPrefix, StringComparison.Ordinal) ? redisKey[EntryPrefix.Length..] : null;

    /// <summary>The node that reclaims old epochs now (<see cref="RedisScripts.DropChunk"/>).</summary>
    public RedisKey ReclaimerKey => $"{Prefix}reclaimer";
}
