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
    /// KEYS: entry, generation. ARGV: the generation the read began at, the value, its TTL in ms, 1 to check.
    /// Stores the value only when the key's generation is still the one the read began at; returns the generation
    /// seen and whether the value was stored.
    /// </summary>
    public const string Populate = """
        local current = redis.call('GET', KEYS[2]) or '0'
        if ARGV[4] == '1' and current ~= ARGV[1] then
            return {0, current}
        end
        redis.call('SET', KEYS[1], ARGV[2], 'PX', ARGV[3])
        return {1, current}
        """;
}
