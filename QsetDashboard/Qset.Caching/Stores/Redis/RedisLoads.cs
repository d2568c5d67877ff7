using StackExchange.Redis;

namespace Qset.Caching.Redis;

/// <summary>
/// One database read per key across the nodes of a Redis or Hybrid store: <c>SET {prefix}load:{key} node NX PX</c>
/// before the read, deleted (when still this node's) after its populate. The lease lasts the wait and a little more,
/// so a holder that dies frees the key on its own. With Redis unreachable, degraded or recovering, every node reads for
/// itself, at once.
/// </summary>
internal sealed class RedisLoads(RedisConnection redis, CacheOptions options) : IDistributedLoads
{
    /// <inheritdoc />
    public TimeSpan Wait => options.DistributedLoadWait;

    private TimeSpan Lease => Wait + Wait;

    /// <inheritdoc />
    public async ValueTask<string?> TryLeadAsync(string key)
    {
        // The reads' database: none while Redis is degraded or recovering, when a miss must not wait on a lease.
        if (Wait <= TimeSpan.Zero || redis.Database is not { } db)
        {
            return null;
        }

        try
        {
            var leaseKey = redis.LoadLeaseKey(key);
            if (await db.StringSetAsync(leaseKey, redis.NodeId, Lease, When.NotExists).ConfigureAwait(false))
            {
                return null;
            }

            // Held: by whom (null when it lapsed in between, and this node reads for itself).
            return (string?)await db.StringGetAsync(leaseKey).ConfigureAwait(false);
        }
        catch (Exception ex) when (RedisConnection.IsOutage(ex))
        {
            return null;
        }
    }

    /// <inheritdoc />
    public async ValueTask<bool> IsHeldAsync(string key)
    {
        if (redis.Database is not { } db)
        {
            return false;
        }

        try
        {
            return await db.KeyExistsAsync(redis.LoadLeaseKey(key)).ConfigureAwait(false);
        }
        catch (Exception ex) when (RedisConnection.IsOutage(ex))
        {
            return false;
        }
    }

    /// <inheritdoc />
    public async ValueTask ReleaseAsync(string key)
    {
        if (Wait <= TimeSpan.Zero || redis.InvalidationDatabase is not { } db)
        {
            return;
        }

        try
        {
            await db.ScriptEvaluateAsync(RedisScripts.LoadRelease, [redis.LoadLeaseKey(key)], [redis.NodeId]).ConfigureAwait(false);
        }
        catch (Exception ex) when (RedisConnection.IsOutage(ex))
        {
            // The lease lapses by itself.
        }
    }
}
