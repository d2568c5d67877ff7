namespace Qset.Caching.Redis;

/// <summary>The Lua scripts that make the guarded populate atomic on Redis.</summary>
internal static class RedisScripts
{
    /// <summary>
    /// KEYS: entry, generation, the index of live keys, and optionally the index of its entity type's keys. ARGV:
    /// generation TTL in ms, the cache key. Bumps the generation, drops the entry and its index memberships.
    /// </summary>
    public const string Invalidate = """
        redis.call('INCR', KEYS[2])
        redis.call('PEXPIRE', KEYS[2], ARGV[1])
        redis.call('ZREM', KEYS[3], ARGV[2])
        if KEYS[4] then
            redis.call('SREM', KEYS[4], ARGV[2])
        end
        return redis.call('DEL', KEYS[1])
        """;

    /// <summary>
    /// KEYS: the index of live keys (each scored by when it expires, in ms of the server's clock). Drops the members
    /// whose time has passed and returns how many are left: the exact count of entries, in O(log n + expired).
    /// </summary>
    public const string Count = """
        local t = redis.call('TIME')
        local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
        redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now)
        return redis.call('ZCARD', KEYS[1])
        """;

    /// <summary>
    /// KEYS: entry, generation, flush epoch, the index of the entry's entity type's keys, the index of live keys, and
    /// optionally the key's table's bulk-write generation. ARGV: the generation the read began at, the value, its TTL in ms, 1 to check, the
    /// epoch and the table generation the read began at, the cache key. Stores the value (and indexes its key) only when
    /// all three are still the ones the read began at; returns whether the value was stored and what was seen.
    /// </summary>
    public const string Populate = """
        local current = redis.call('GET', KEYS[2]) or '0'
        local epoch = redis.call('GET', KEYS[3]) or '0'
        local table = '-'
        if KEYS[6] then
            table = redis.call('GET', KEYS[6]) or '0'
        end
        if ARGV[4] == '1' and (current ~= ARGV[1] or epoch ~= ARGV[5] or (KEYS[6] and table ~= ARGV[6])) then
            return {0, current, table, epoch}
        end
        redis.call('SET', KEYS[1], ARGV[2], 'PX', ARGV[3])
        redis.call('SADD', KEYS[4], ARGV[7])
        local t = redis.call('TIME')
        local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
        redis.call('ZADD', KEYS[5], now + tonumber(ARGV[3]), ARGV[7])
        return {1, current, table, epoch}
        """;
}
