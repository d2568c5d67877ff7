namespace Qset.Caching.Redis;

/// <summary>The Lua scripts that make the guarded populate atomic on Redis.</summary>
internal static class RedisScripts
{
    /// <summary>
    /// KEYS: entry, generation, and optionally the index of its entity type's keys. ARGV: generation TTL in ms, the
    /// cache key. Bumps the generation, drops the entry and its index membership.
    /// </summary>
    public const string Invalidate = """
        redis.call('INCR', KEYS[2])
        redis.call('PEXPIRE', KEYS[2], ARGV[1])
        if KEYS[3] then
            redis.call('SREM', KEYS[3], ARGV[2])
        end
        return redis.call('DEL', KEYS[1])
        """;

    /// <summary>
    /// KEYS: entry, generation, flush epoch, the index of the entry's entity type's keys, and optionally the key's
    /// table's bulk-write generation. ARGV: the generation the read began at, the value, its TTL in ms, 1 to check, the
    /// epoch and the table generation the read began at, the cache key. Stores the value (and indexes its key) only when
    /// all three are still the ones the read began at; returns whether the value was stored and what was seen.
    /// </summary>
    public const string Populate = """
        local current = redis.call('GET', KEYS[2]) or '0'
        local epoch = redis.call('GET', KEYS[3]) or '0'
        local table = '-'
        if KEYS[5] then
            table = redis.call('GET', KEYS[5]) or '0'
        end
        if ARGV[4] == '1' and (current ~= ARGV[1] or epoch ~= ARGV[5] or (KEYS[5] and table ~= ARGV[6])) then
            return {0, current, table, epoch}
        end
        redis.call('SET', KEYS[1], ARGV[2], 'PX', ARGV[3])
        redis.call('SADD', KEYS[4], ARGV[7])
        return {1, current, table, epoch}
        """;
}
