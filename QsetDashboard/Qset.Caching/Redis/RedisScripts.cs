namespace Qset.Caching.Redis;

/// <summary>The Lua scripts that make the guarded populate atomic on Redis.</summary>
internal static class RedisScripts
{
    /// <summary>
    /// KEYS: entry, generation, the index of live keys, the index by size, and optionally the index of its entity
    /// type's keys. ARGV: generation TTL in ms, the cache key. Drops the entry, bumps the generation, drops the index
    /// memberships; returns 1 when there was an entry.
    /// </summary>
    /// <remarks>
    /// The drop comes first, and an invalidation works on a full Redis too: DEL frees memory, so Redis never refuses it
    /// for want of it, and once a script has written, its later writes (INCR, or the SET of
    /// <see cref="IncrementOrReplace"/>) are not refused either. Refused, the entry would stay for the other nodes to
    /// serve while this one waits to replay the invalidation. The bump comes right after, and cannot fail (a counter
    /// holding text is replaced), so nothing fails between the drop and the bump.
    /// </remarks>
    public const string Invalidate = IncrementOrReplace + InvalidateOne + """
        local dropped = invalidate(KEYS[1], KEYS[2], ARGV[1], KEYS[3], KEYS[4], ARGV[2])
        if KEYS[5] then
            redis.call('ZREM', KEYS[5], ARGV[2])
        end
        return dropped
        """;

    /// <summary>
    /// KEYS: any key of the prefix (unused: it routes the call to the server that holds the prefix's keys). Returns
    /// <c>INFO memory</c>, whose <c>maxmemory_policy</c> says whether Redis may evict the indexes.
    /// </summary>
    public const string MemoryInfo = """
        return redis.call('INFO', 'memory')
        """;

    /// <summary>
    /// KEYS: one or more counters (the flush epoch; a table's bulk-write generation and that of every bulk write).
    /// Increments each and returns the first's new value, on a full Redis too: PERSIST (a no-op on a counter, and a
    /// write Redis never refuses for want of memory) comes first, and a script that has written is not refused its
    /// later writes. A refused bump would leave in-flight populates unrefused, or keep a recovery from ever finishing
    /// while Redis stays full.
    /// </summary>
    public const string Bump = IncrementOrReplace + """
        redis.call('PERSIST', KEYS[1])
        local first = increment(KEYS[1])
        for i = 2, #KEYS do
            increment(KEYS[i])
        end
        return first
        """;

    /// <summary>
    /// A Lua function, <c>invalidate(entry, generation, ttl, live, size, member)</c>, after
    /// <see cref="IncrementOrReplace"/>: drops the entry (first: the write a full Redis never refuses), bumps its
    /// generation and keeps it for <c>ttl</c> ms, and drops the member from the live and size indexes; returns 1 when
    /// there was an entry. One key of <see cref="Invalidate"/>, and each key of <see cref="InvalidateTypeChunk"/>.
    /// </summary>
    private const string InvalidateOne = """
        local function invalidate(entry, generation, ttl, live, size, member)
            local dropped = redis.call('DEL', entry)
            increment(generation)
            redis.call('PEXPIRE', generation, ttl)
            redis.call('ZREM', live, member)
            redis.call('ZREM', size, member)
            return dropped
        end

        """;

    /// <summary>
    /// A Lua function, <c>increment(key)</c>: INCR, or, when the key holds something else than an integer (another
    /// program wrote under the prefix), SET it to the server's time in microseconds, a number no read of the counter
    /// can have seen (the counters count writes from 0, nowhere near it), so every populate that began before is still
    /// refused; returns the new value. Without it the INCR fails, and with it every write to that key or table.
    /// </summary>
    private const string IncrementOrReplace = """
        local function increment(key)
            local value = redis.pcall('INCR', key)
            if type(value) == 'table' and value.err then
                local t = redis.call('TIME')
                value = tonumber(t[1]) * 1000000 + tonumber(t[2])
                redis.call('SET', key, value)
            end
            return value
        end

        """;

    /// <summary>
    /// KEYS: an entity type's index, the index of live keys, the index by size. ARGV: the prefix of entry keys, the
    /// prefix of generation keys, the generation TTL in ms, the most members to take. Invalidates up to that many keys
    /// of the type as <see cref="Invalidate"/> does each (drop, bump the generation, leave the indexes); returns how many
    /// it took and the keys whose entry it dropped. A bulk write of a table costs one call per that many keys.
    /// </summary>
    public const string InvalidateTypeChunk = IncrementOrReplace + InvalidateOne + """
        local members = redis.call('ZRANGE', KEYS[1], 0, tonumber(ARGV[4]) - 1)
        local dropped = {}
        for _, member in ipairs(members) do
            if invalidate(ARGV[1] .. member, ARGV[2] .. member, ARGV[3], KEYS[2], KEYS[3], member) == 1 then
                table.insert(dropped, member)
            end
        end
        if #members > 0 then
            redis.call('ZREM', KEYS[1], unpack(members))
        end
        return {#members, dropped}
        """;

    /// <summary>
    /// KEYS: a node's presence key, the set of node ids. ARGV: its value, its TTL in ms, the node's id. Sets it and
    /// names the node in the set, on a full Redis too (as <see cref="Bump"/>): a refused heartbeat would count as an
    /// outage, and a full Redis is none.
    /// </summary>
    public const string Beat = """
        redis.call('PERSIST', KEYS[1])
        redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
        return redis.call('SADD', KEYS[2], ARGV[3])
        """;

    /// <summary>
    /// KEYS: the set of node ids. ARGV: the prefix of presence keys. Returns the heartbeat of every node whose presence
    /// has not expired, and drops the others from the set: O(nodes), whatever else the server holds (a SCAN for the
    /// presence keys walked the whole keyspace, every second the Cache page was open).
    /// </summary>
    public const string Nodes = """
        local beats = {}
        for _, id in ipairs(redis.call('SMEMBERS', KEYS[1])) do
            local beat = redis.call('GET', ARGV[1] .. id)
            if beat then
                table.insert(beats, beat)
            else
                redis.call('SREM', KEYS[1], id)
            end
        end
        return beats
        """;

    /// <summary>
    /// KEYS: the set of entity types, the index of live keys, the index by size. ARGV: the prefix of entry keys, the
    /// prefix of the type indexes, the most members to take, '1' to name what it dropped (a flush) or '0' not to (a
    /// recovery, which only needs them gone). Takes up to that many members of the type indexes, type by type, and
    /// drops each one's entry and index memberships (a type index left empty leaves the set of types). Returns how many
    /// members it took, then, when asked, the type and key of each entry it dropped (a member whose entry had expired
    /// or been evicted is taken but not returned). The epoch bump before it refuses every populate that began earlier,
    /// so no generation is bumped here: a flush or a recovery costs one call per that many entries, not one per entry.
    /// </summary>
    public const string DropChunk = """
        local limit = tonumber(ARGV[3])
        local taken = 0
        local dropped = {}
        for _, type in ipairs(redis.call('SMEMBERS', KEYS[1])) do
            local index = ARGV[2] .. type
            local members = redis.call('ZRANGE', index, 0, limit - taken - 1)
            for _, member in ipairs(members) do
                if redis.call('DEL', ARGV[1] .. member) == 1 and ARGV[4] == '1' then
                    table.insert(dropped, type)
                    table.insert(dropped, member)
                end
                redis.call('ZREM', KEYS[2], member)
                redis.call('ZREM', KEYS[3], member)
            end
            if #members > 0 then
                redis.call('ZREM', index, unpack(members))
            end
            taken = taken + #members
            if redis.call('ZCARD', index) == 0 then
                redis.call('SREM', KEYS[1], type)
            end
            if taken >= limit then
                break
            end
        end
        return {taken, dropped}
        """;

    /// <summary>
    /// KEYS: the index of live keys (each scored by when it expires, in ms of the server's clock), the index by size,
    /// the set of entity types. ARGV: the prefix of entry keys, the prefix of the type indexes, how many members to
    /// sample. Checks a random sample of members for their entry and drops those whose entry Redis no longer holds
    /// (evicted under <c>maxmemory</c>) from every index, so such a key leaves the count within a few counts. Returns
    /// how many members have not expired, exactly, in O(log n + sample): expired members are left to
    /// <see cref="TrimExpired"/> (a million keys that expired together once made this script block Redis for seconds).
    /// </summary>
    public const string Count = """
        local t = redis.call('TIME')
        local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
        local missing = {}
        for _, member in ipairs(redis.call('ZRANDMEMBER', KEYS[1], tonumber(ARGV[3]))) do
            if redis.call('EXISTS', ARGV[1] .. member) == 0 then
                table.insert(missing, member)
            end
        end
        if #missing > 0 then
            redis.call('ZREM', KEYS[1], unpack(missing))
            redis.call('ZREM', KEYS[2], unpack(missing))
            for _, type in ipairs(redis.call('SMEMBERS', KEYS[3])) do
                redis.call('ZREM', ARGV[2] .. type, unpack(missing))
            end
        end
        return redis.call('ZCARD', KEYS[1]) - redis.call('ZCOUNT', KEYS[1], '-inf', now)
        """;

    /// <summary>
    /// KEYS: the index of live keys, the index by size, the set of entity types. ARGV: the prefix of the type indexes.
    /// Drops up to <see cref="TrimLimit"/> expired members from the live and size indexes, and as many from the type
    /// indexes together;
    /// returns how many expired members are left in the most crowded of them (0: done). The size index cannot skip
    /// expired members by score (its score is a size), so this is what keeps a listing by size from wading through them.
    /// </summary>
    public const string TrimExpired = TrimLimit + """
        local t = redis.call('TIME')
        local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
        local gone = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', now, 'LIMIT', 0, trim)
        if #gone > 0 then
            redis.call('ZREM', KEYS[2], unpack(gone))
            redis.call('ZREM', KEYS[1], unpack(gone))
        end
        local left = redis.call('ZCOUNT', KEYS[1], '-inf', now)
        local budget = trim
        for _, type in ipairs(redis.call('SMEMBERS', KEYS[3])) do
            local index = ARGV[1] .. type
            local expired = redis.call('ZCOUNT', index, '-inf', now)
            local take = math.min(expired, budget)
            if take > 0 then
                redis.call('ZREMRANGEBYRANK', index, 0, take - 1)
                budget = budget - take
            end
            left = math.max(left, expired - take)
        end
        return left
        """;

    /// <summary>
    /// A Lua local, <c>trim</c>: the most expired members one script drops from an index, so that no script runs long
    /// at any size (a million keys that expired together leave over many calls).
    /// </summary>
    private const string TrimLimit = """
        local trim = 2000

        """;

    /// <summary>
    /// KEYS: an entry, the index of live keys, the index by size, the set of entity types. ARGV: the cache key, the
    /// prefix of the type indexes. When Redis no longer holds the entry (it evicted it), drops the key from every
    /// index; returns 1 when it did. Harmless when the key was populated again meanwhile: it then holds its entry.
    /// </summary>
    public const string Prune = """
        if redis.call('EXISTS', KEYS[1]) == 1 then
            return 0
        end
        redis.call('ZREM', KEYS[2], ARGV[1])
        redis.call('ZREM', KEYS[3], ARGV[1])
        for _, type in ipairs(redis.call('SMEMBERS', KEYS[4])) do
            redis.call('ZREM', ARGV[2] .. type, ARGV[1])
        end
        return 1
        """;

    /// <summary>
    /// KEYS: one index (by expiry, or by size). ARGV: the score and member of the last one seen (empty for the
    /// first page), how many to return, 'rev' for the largest score first, '1' to skip members whose score (an expiry)
    /// has passed. Returns up to that many members after the one seen, in the index's order (ties by member, byte by byte, as Redis
    /// orders them), as a flat list {member, score, ...}: a page of the index in O(log n + page) while the member seen
    /// is still there (read on from its rank); when it left, from the rank it would have, found by halving the members
    /// that tie with it (O(log² n), however many tie).
    /// </summary>
    public const string Page = """
        local function before(a, b)
            local n = math.min(#a, #b)
            for i = 1, n do
                local x, y = string.byte(a, i), string.byte(b, i)
                if x ~= y then
                    return x < y
                end
            end
            return #a < #b
        end
        local rev = ARGV[4] == 'rev'
        local limit = tonumber(ARGV[3])
        local start = ARGV[1]
        local after = ARGV[2]
        if start == '' then
            start = rev and '+inf' or '-inf'
            after = nil
        end
        if ARGV[5] == '1' then
            local t = redis.call('TIME')
            local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
            if start == '-inf' or tonumber(start) <= now then
                start = '(' .. now
                after = nil
            end
        end
        local from = after and tonumber(start) or nil
        if after then
            -- The cursor's member still there at its score: read on by position, O(log n), however many share it.
            local held = redis.call('ZSCORE', KEYS[1], after)
            if held and tonumber(held) == from then
                if rev then
                    local rank = redis.call('ZREVRANK', KEYS[1], after)
                    return redis.call('ZRANGE', KEYS[1], rank + 1, rank + limit, 'REV', 'WITHSCORES')
                end
                local rank = redis.call('ZRANK', KEYS[1], after)
                return redis.call('ZRANGE', KEYS[1], rank + 1, rank + limit, 'WITHSCORES')
            end
        end
        if not after then
            if rev then
                return redis.call('ZRANGE', KEYS[1], start, '-inf', 'BYSCORE', 'REV', 'LIMIT', 0, limit, 'WITHSCORES')
            end
            return redis.call('ZRANGE', KEYS[1], start, '+inf', 'BYSCORE', 'LIMIT', 0, limit, 'WITHSCORES')
        end
        -- The cursor's member left (invalidated, expired, evicted; or a cursor never issued): where it would sort is
        -- found by halving the run of members that share its score (an index by size is mostly such runs, and walking
        -- one would cost its length, a million at a million keys), in O(log^2 n), then read on by rank.
        local lo
        if rev then
            lo = redis.call('ZCOUNT', KEYS[1], '(' .. start, '+inf')
        else
            lo = redis.call('ZCOUNT', KEYS[1], '-inf', '(' .. start)
        end
        local hi = lo + redis.call('ZCOUNT', KEYS[1], start, start)
        while lo < hi do
            local mid = math.floor((lo + hi) / 2)
            local member
            if rev then
                member = redis.call('ZRANGE', KEYS[1], mid, mid, 'REV')[1]
            else
                member = redis.call('ZRANGE', KEYS[1], mid, mid)[1]
            end
            local past
            if rev then past = before(member, after) else past = before(after, member) end
            if past then hi = mid else lo = mid + 1 end
        end
        if rev then
            return redis.call('ZRANGE', KEYS[1], lo, lo + limit - 1, 'REV', 'WITHSCORES')
        end
        return redis.call('ZRANGE', KEYS[1], lo, lo + limit - 1, 'WITHSCORES')
        """;

    /// <summary>
    /// KEYS: entry, generation, flush epoch, the index of the entry's entity type's keys, the index of live keys, the set
    /// of entity types, the index by size, and optionally the bulk-write generation that guards the key (its table's,
    /// or for a bare key every bulk write's). ARGV: the generation
    /// the read began at, the value, its TTL in ms, 1 to check, the epoch and the table generation the read began at,
    /// the cache key, the entity type, the size of the value's JSON. The type and live indexes score a key by when it
    /// expires, in ms of the server's clock; the size index by the size. Stores the value (and indexes its key) only when
    /// all three are still the ones the read began at; returns whether the value was stored and what was seen.
    /// </summary>
    public const string Populate = """
        local current = redis.call('GET', KEYS[2]) or '0'
        local epoch = redis.call('GET', KEYS[3]) or '0'
        local table = '-'
        if KEYS[8] then
            table = redis.call('GET', KEYS[8]) or '0'
        end
        if ARGV[4] == '1' and (current ~= ARGV[1] or epoch ~= ARGV[5] or (KEYS[8] and table ~= ARGV[6])) then
            return {0, current, table, epoch}
        end
        redis.call('SET', KEYS[1], ARGV[2], 'PX', ARGV[3])
        local t = redis.call('TIME')
        local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
        local expires = now + tonumber(ARGV[3])
        redis.call('ZADD', KEYS[4], expires, ARGV[7])
        redis.call('ZADD', KEYS[5], expires, ARGV[7])
        redis.call('SADD', KEYS[6], ARGV[8])
        redis.call('ZADD', KEYS[7], ARGV[9], ARGV[7])
        -- A few members whose time has passed leave the indexes with each populate (after the value is stored: a
        -- full Redis refuses the script whole, before its first write), so they do not pile up while no one counts.
        local gone = redis.call('ZRANGEBYSCORE', KEYS[5], '-inf', now, 'LIMIT', 0, 4)
        if #gone > 0 then
            redis.call('ZREM', KEYS[5], unpack(gone))
            redis.call('ZREM', KEYS[7], unpack(gone))
        end
        gone = redis.call('ZRANGEBYSCORE', KEYS[4], '-inf', now, 'LIMIT', 0, 4)
        if #gone > 0 then
            redis.call('ZREM', KEYS[4], unpack(gone))
        end
        return {1, current, table, epoch}
        """;

    /// <summary>
    /// KEYS: one index (of an entity type's keys, or of all live keys). Drops the members whose expiry has passed and
    /// returns the rest: the keys of that index Redis still holds.
    /// </summary>
    public const string LiveMembers = """
        local t = redis.call('TIME')
        local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
        redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now)
        return redis.call('ZRANGE', KEYS[1], 0, -1)
        """;

    /// <summary>
    /// KEYS: the set of entity types. ARGV: the prefix of the type indexes. For each type: how many of its keys have not
    /// expired, exactly, as a flat list {type, count, type, count, ...} (O(types · log n)); expired members are left to
    /// <see cref="TrimExpired"/>, whose budget is shared by all the indexes of a call.
    /// </summary>
    public const string CountByType = """
        local t = redis.call('TIME')
        local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
        local answer = {}
        for _, type in ipairs(redis.call('SMEMBERS', KEYS[1])) do
            local index = ARGV[1] .. type
            local count = redis.call('ZCARD', index) - redis.call('ZCOUNT', index, '-inf', now)
            if count > 0 then
                table.insert(answer, type)
                table.insert(answer, count)
            end
        end
        return answer
        """;
}
