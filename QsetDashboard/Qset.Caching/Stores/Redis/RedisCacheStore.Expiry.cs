using StackExchange.Redis;

namespace Qset.Caching.Redis;

/// <summary>The Redis store's expiries, heard from the server's keyspace notifications where it sends them, as EXPIRE events.</summary>
internal sealed partial class RedisCacheStore
{
    private async Task WireKeyspaceNotificationsAsync()
    {
        // Subscribing costs nothing when the server has notifications off (no message ever comes), and reading
        // its CONFIG would need admin mode: so subscribe always, and hear Redis's expiries and evictions when it tells.
        try
        {
            if (!_connection.Multiplexer.IsConnected || Interlocked.Exchange(ref _notificationsWired, 1) == 1)
            {
                return;
            }

            var db = _connection.Multiplexer.GetDatabase().Database;
            // Key-event channels, which the client subscribes to on every primary of a cluster: a node announces
            // only its own keys' expiries and evictions.
            await _connection.Subscriber.SubscribeAsync(RedisChannel.KeyEvent(KeyNotificationType.Expired, db),
                (_, key) => OnKeyspaceEvent(CacheEventKind.Expire, key, "Redis expired the key at its TTL")).ConfigureAwait(false);
            await _connection.Subscriber.SubscribeAsync(RedisChannel.KeyEvent(KeyNotificationType.Evicted, db),
                (_, key) => OnKeyspaceEvent(CacheEventKind.Evict, key, "Redis evicted the key under its maxmemory policy")).ConfigureAwait(false);
        }
        catch (Exception ex) when (RedisConnection.IsOutage(ex))
        {
            Interlocked.Exchange(ref _notificationsWired, 0);
        }
    }

    private void OnKeyspaceEvent(CacheEventKind kind, RedisValue redisKey, string detail)
    {
        if (_connection.CacheKeyOf(redisKey!) is not { } key)
        {
            return;
        }

        if (kind == CacheEventKind.Evict && _connection.Database is { } database)
        {
            // The key's index memberships outlive an eviction (nothing of ours ran): drop them, so it is no longer counted.
            try
            {
                database.ScriptEvaluate(
                    RedisScripts.Prune,
                    [_connection.EntryKey(key), _connection.EpochKey],
                    [key, _connection.IndexPrefix],
                    CommandFlags.FireAndForget);
            }
            catch (Exception ex) when (RedisConnection.IsOutage(ex))
            {
                _connection.ReportFailure(ex);
            }
        }

        _recorder.Record(kind, key, null, detail: detail, source: "redis");
    }
}
