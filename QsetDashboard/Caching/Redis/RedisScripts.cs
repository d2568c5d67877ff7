namespace QsetDashboard.Caching.Redis;

/// <summary>The Lua scripts that make the guarded populate atomic on Redis.</summary>
internal static class RedisScripts
{
    /// <summary>KEYS: entry, generation. ARGV: generation TTL in ms. Bumps the generation, drops the entry.</summary>
    public const string Invalidate = """
        redis.call('INCR', KEYS[2])
        redis.call('PEXPIRE', KEYS[2], ARGV[1])
        return redis.call('DEL', KEYS[1])
        """;

    /// <summary>
    /// KEYS: entry, generation, flush epoch, and optionally the key's table's bulk-write generation. ARGV: the
    /// generation the read began at, the value, its TTL in ms, 1 to check, the epoch and the table generation the read
    /// began at. Stores the value only when all three are still the ones the read began at; returns whether the value
    /// was stored and what was seen.
    /// </summary>
    public const string Populate = """
        local current = redis.call('GET', KEYS[2]) or '0'
        local epoch = redis.call('GET', KEYS[3]) or '0'
        local table = '-'
        if KEYS[4] then
            table = redis.call('GET', KEYS[4]) or '0'
        end
        if ARGV[4] == '1' and (current ~= ARGV[1] or epoch ~= ARGV[5] or (KEYS[4] and table ~= ARGV[6])) then
            return {0, current, table, epoch}
        end
        redis.call('SET', KEYS[1], ARGV[2], 'PX', ARGV[3])
        return {1, current, table, epoch}
        """;
}
