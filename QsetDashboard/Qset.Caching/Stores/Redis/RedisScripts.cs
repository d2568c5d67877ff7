namespace Qset.Caching.Redis;

/// <summary>The Lua scripts that make the guarded populate atomic on Redis.</summary>
internal static class RedisScripts
{
    /// <summary>
    /// KEYS: entry, generation, the flush epoch. ARGV: generation TTL in ms, the cache key, the prefix of the index
    /// keys, the key's entity type (empty for a bare key, whose type the key does not tell). Drops the entry, bumps the
    /// generation, drops the key from the current epoch's indexes (a bare key from every type's); returns 1 when there
    /// was an entry.
    /// </summary>
    /// <remarks>
    /// The drop comes first, and an invalidation works on a full Redis too: DEL frees memory, so Redis never refuses it
    /// for want of it, and once a script has written, its later writes (INCR, or the SET of
    /// <see cref="IncrementOrReplace"/>) are not refused either. Refused, the entry would stay for the other nodes to
    /// serve while this one waits to replay the invalidation. The bump comes right after, and cannot fail (a counter
    /// holding text is replaced), so nothing fails between the drop and the bump.
    /// </remarks>
    public const string Invalidate = IncrementOrReplace + InvalidateOne + Indexes + """
        local live, size, types, byType = indexes(ARGV[3], current(KEYS[3]))
        local dropped = invalidate(KEYS[1], KEYS[2], ARGV[1], live, size, ARGV[2])
        if ARGV[4] ~= '' then
            redis.call('ZREM', byType .. ARGV[4], ARGV[2])
        else
            for _, type in ipairs(redis.call('SMEMBERS', types)) do
                redis.call('ZREM', byType .. type, ARGV[2])
            end
        end
        return dropped
        """;

    /// <summary>
    /// Lua functions: <c>current(epochKey)</c>, the flush epoch (0 when it is missing); <c>under(prefix, epoch)</c>,
    /// what that epoch's index keys start with; and <c>indexes(prefix, epoch)</c>, the keys of that epoch's indexes: live keys by expiry, live keys by size, the set
    /// of entity types, and the prefix of the index of each type's keys. Every epoch has indexes of its own, so a flush
    /// (a new epoch) empties them all at once, and what an old epoch held is reclaimed in the background
    /// (<see cref="DropChunk"/>). Scripts name them from the epoch they read: every index key shares the prefix, so on
    /// a cluster (whose prefix must be a hash tag) they are in the slot of the keys the script was given.
    /// </summary>
    private const string Indexes = """
        local function current(epochKey)
            return redis.call('GET', epochKey) or '0'
        end
        local function under(prefix, epoch)
            return prefix .. epoch .. ':'
        end
        local function indexes(prefix, epoch)
            local at = under(prefix, epoch)
            return at .. 'live', at .. 'size', at .. 'types', at .. 'z:'
        end

        """;

    /// <summary>
    /// KEYS: the flush epoch. Sets it from the server's clock (microseconds) unless it exists, and returns it. The first
    /// connection runs it: an epoch counted from 0 would come round again after someone deleted the key, and the values
    /// of that earlier epoch still in Redis would be served again; an epoch from the clock never does.
    /// </summary>
    public const string SeedEpoch = IncrementOrReplace + """
        if redis.call('EXISTS', KEYS[1]) == 0 then
            stamp(KEYS[1])
        end
        return redis.call('GET', KEYS[1])
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
    /// there was an entry of the current epoch (one left from before a flush, waiting for its reclaim, was already a
    /// miss: dropping it removes nothing a reader could see). One key of <see cref="Invalidate"/>, and each key of <see cref="InvalidateTypeChunk"/>.
    /// </summary>
    private const string InvalidateOne = """
        local function invalidate(entry, generation, ttl, live, size, member)
            local held = redis.call('ZSCORE', live, member)
            local dropped = redis.call('DEL', entry)
            increment(generation)
            redis.call('PEXPIRE', generation, ttl)
            redis.call('ZREM', live, member)
            redis.call('ZREM', size, member)
            if dropped == 1 and held then
                return 1
            end
            return 0
        end

        """;

    /// <summary>
    /// Lua functions: <c>increment(key)</c>: INCR, or, when the key holds something else than an integer (another
    /// program wrote under the prefix), <c>stamp(key)</c>: SET it to the server's time in microseconds, a number no read
    /// of the counter can have seen (the counters count writes from 0, or from such a stamp taken earlier), so every
    /// populate that began before is still refused; returns the new value. Without it the INCR fails, and with it every
    /// write to that key or table.
    /// </summary>
    private const string IncrementOrReplace = """
        local function stamp(key)
            local t = redis.call('TIME')
            local value = tonumber(t[1]) * 1000000 + tonumber(t[2])
            redis.call('SET', key, value)
            return value
        end
        local function increment(key)
            local value = redis.pcall('INCR', key)
            if type(value) == 'table' and value.err then
                value = stamp(key)
            end
            return value
        end

        """;

    /// <summary>
    /// KEYS: the flush epoch. ARGV: the prefix of entry keys, the prefix of generation keys, the generation TTL in ms,
    /// the most members to take, the prefix of the index keys, the entity type. Invalidates up to that many keys of the
    /// type's index in the current epoch as <see cref="Invalidate"/> does each (drop, bump the generation, leave the
    /// indexes); returns how many it took, the keys whose entry it dropped, and how many members the index still has.
    /// A bulk write of a table costs one call per that many keys. (Keys of an older epoch are never served again.)
    /// </summary>
    public const string InvalidateTypeChunk = IncrementOrReplace + InvalidateOne + Indexes + """
        local live, size, _, byType = indexes(ARGV[5], current(KEYS[1]))
        local index = byType .. ARGV[6]
        local members = redis.call('ZRANGE', index, 0, tonumber(ARGV[4]) - 1)
        local dropped = {}
        for _, member in ipairs(members) do
            if invalidate(ARGV[1] .. member, ARGV[2] .. member, ARGV[3], live, size, member) == 1 then
                table.insert(dropped, member)
            end
        end
        if #members > 0 then
            redis.call('ZREM', index, unpack(members))
        end
        return {#members, dropped, redis.call('ZCARD', index)}
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
    /// KEYS: the flush epoch, the set of epochs left to reclaim. ARGV: the prefix of the index keys, the prefix of entry
    /// keys, the most entries to name and drop now. Starts a new epoch (from the server's clock when the epoch is
    /// missing), and with it empty indexes: every populate whose read began before is refused, and every value stored before reads as a miss (each value names its epoch), on
    /// every node, in one call whatever the cache holds. Returns the old epoch and how many of its keys had not
    /// expired; when that is at most the number to name, it also drops their entries and returns the type and key of
    /// each it dropped. Whatever else the old epoch holds is left to <see cref="DropChunk"/>, which reclaims it in the
    /// background (the old epoch joins the set of epochs to reclaim).
    /// </summary>
    public const string NewEpoch = IncrementOrReplace + Indexes + """
        local old = current(KEYS[1])
        local live, size, types, byType = indexes(ARGV[1], old)
        local t = redis.call('TIME')
        local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
        local count = redis.call('ZCARD', live) - redis.call('ZCOUNT', live, '-inf', now)
        redis.call('PERSIST', KEYS[1])
        if redis.call('EXISTS', KEYS[1]) == 1 then
            increment(KEYS[1])
        else
            -- Deleted (or never made): an epoch from the server's clock, which no value stored before can name.
            stamp(KEYS[1])
        end
        local kind = redis.call('TYPE', KEYS[2]).ok
        if kind ~= 'set' and kind ~= 'none' then
            -- Another program's value where the set belongs: a SADD would fail after the increment, every time.
            redis.call('DEL', KEYS[2])
        end
        redis.call('SADD', KEYS[2], old)
        local dropped = {}
        if count > 0 and count <= tonumber(ARGV[3]) then
            local members = redis.call('ZRANGE', live, '(' .. now, '+inf', 'BYSCORE')
            local named = {}
            for _, member in ipairs(members) do
                named[member] = '?'
            end
            for _, type in ipairs(redis.call('SMEMBERS', types)) do
                local scores = redis.call('ZMSCORE', byType .. type, unpack(members))
                for i, member in ipairs(members) do
                    if scores[i] then
                        named[member] = type
                        redis.call('ZREM', byType .. type, member)
                    end
                end
            end
            for _, member in ipairs(members) do
                if redis.call('DEL', ARGV[2] .. member) == 1 then
                    table.insert(dropped, named[member])
                    table.insert(dropped, member)
                end
            end
            redis.call('ZREM', live, unpack(members))
            redis.call('ZREM', size, unpack(members))
        end
        return {old, count, dropped}
        """;

    /// <summary>
    /// KEYS: the flush epoch, the set of epochs left to reclaim. ARGV: the prefix of the index keys, the prefix of entry
    /// keys, an old epoch (empty: the indexes of versions before epochs had indexes of their own, directly under the
    /// prefix), the most members to take, the prefix. Reclaims up to that many members of the old epoch's indexes (type
    /// by type, then whatever its indexes of live keys and sizes still hold) and drops each one's entry unless the
    /// key was populated again in the current epoch (it is then in the current index of live keys, which its populate
    /// wrote with its value, in one script). Once the old epoch's indexes are empty it leaves the set; nothing adds to
    /// them after its flush (populates and invalidations name the current epoch's). Returns how many members it took
    /// (fewer than asked: that epoch is done), or -1 when another node holds the reclaim: KEYS[3] names the node that
    /// reclaims (ARGV[6], this node's id) for ARGV[7] ms, renewed by each call, so one node reclaims at a time however
    /// many there are (each running its own reclaim added its load to Redis's), and another takes over once it stops.
    /// </summary>
    public const string DropChunk = Indexes + """
        local holder = redis.call('GET', KEYS[3])
        if holder and holder ~= ARGV[6] then
            return -1
        end
        redis.call('SET', KEYS[3], ARGV[6], 'PX', ARGV[7])
        local epoch = ARGV[3]
        local limit = tonumber(ARGV[4])
        local now = current(KEYS[1])
        if epoch == now then
            redis.call('SREM', KEYS[2], epoch)
            return 0
        end
        local live, size, types, byType
        if epoch == '' then
            live, size, types, byType = ARGV[5] .. 'live', ARGV[5] .. 'size', ARGV[5] .. 'types', ARGV[5] .. 'z:'
        else
            live, size, types, byType = indexes(ARGV[1], epoch)
        end
        local held = indexes(ARGV[1], now)
        local taken = 0
        local function reclaim(members)
            for _, member in ipairs(members) do
                if not redis.call('ZSCORE', held, member) then
                    redis.call('DEL', ARGV[2] .. member)
                end
            end
            taken = taken + #members
        end
        for _, type in ipairs(redis.call('SMEMBERS', types)) do
            local index = byType .. type
            local members = redis.call('ZRANGE', index, 0, limit - taken - 1)
            if #members > 0 then
                reclaim(members)
                redis.call('ZREM', index, unpack(members))
                redis.call('ZREM', live, unpack(members))
                redis.call('ZREM', size, unpack(members))
            end
            if redis.call('EXISTS', index) == 0 then
                redis.call('SREM', types, type)
            end
            if taken >= limit then
                return taken
            end
        end
        for _, index in ipairs({live, size}) do
            local members = redis.call('ZRANGE', index, 0, limit - taken - 1)
            if #members > 0 then
                reclaim(members)
                redis.call('ZREM', live, unpack(members))
                redis.call('ZREM', size, unpack(members))
            end
            if taken >= limit then
                return taken
            end
        end
        redis.call('SREM', KEYS[2], epoch)
        return taken
        """;

    /// <summary>
    /// KEYS: the flush epoch. ARGV: the prefix of entry keys, the prefix of the index keys, how many members to sample.
    /// Checks a random sample of the current epoch's live keys for their entry and drops those whose entry Redis no
    /// longer holds (evicted under <c>maxmemory</c>) from every index, so such a key leaves the count within a few
    /// counts. Returns how many members of the index of live keys (each scored by when it expires, in ms of the
    /// server's clock) have not expired, exactly, in O(log n + sample): expired members are left to
    /// <see cref="TrimExpired"/> (a million keys that expired together once made this script block Redis for seconds).
    /// </summary>
    public const string Count = Indexes + """
        local live, size, types, byType = indexes(ARGV[2], current(KEYS[1]))
        local t = redis.call('TIME')
        local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
        local missing = {}
        for _, member in ipairs(redis.call('ZRANDMEMBER', live, tonumber(ARGV[3]))) do
            if redis.call('EXISTS', ARGV[1] .. member) == 0 then
                table.insert(missing, member)
            end
        end
        if #missing > 0 then
            redis.call('ZREM', live, unpack(missing))
            redis.call('ZREM', size, unpack(missing))
            for _, type in ipairs(redis.call('SMEMBERS', types)) do
                redis.call('ZREM', byType .. type, unpack(missing))
            end
        end
        return redis.call('ZCARD', live) - redis.call('ZCOUNT', live, '-inf', now)
        """;

    /// <summary>
    /// KEYS: the flush epoch. ARGV: the prefix of the index keys. Drops up to <see cref="TrimLimit"/> expired members
    /// from the current epoch's live and size indexes, and as many from its type indexes together; returns how many
    /// expired members are left in the most crowded of them (0: done). The size index cannot skip expired members by
    /// score (its score is a size), so this is what keeps a listing by size from wading through them.
    /// </summary>
    public const string TrimExpired = TrimLimit + Indexes + """
        local live, size, types, byType = indexes(ARGV[1], current(KEYS[1]))
        local t = redis.call('TIME')
        local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
        local gone = redis.call('ZRANGEBYSCORE', live, '-inf', now, 'LIMIT', 0, trim)
        if #gone > 0 then
            redis.call('ZREM', size, unpack(gone))
            redis.call('ZREM', live, unpack(gone))
        end
        local left = redis.call('ZCOUNT', live, '-inf', now)
        local budget = trim
        for _, type in ipairs(redis.call('SMEMBERS', types)) do
            local index = byType .. type
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
    /// KEYS: an entry, the flush epoch. ARGV: the cache key, the prefix of the index keys. When Redis no longer holds
    /// the entry (it evicted it), drops the key from every index of the current epoch; returns 1 when it did. Harmless
    /// when the key was populated again meanwhile: it then holds its entry.
    /// </summary>
    public const string Prune = Indexes + """
        if redis.call('EXISTS', KEYS[1]) == 1 then
            return 0
        end
        local live, size, types, byType = indexes(ARGV[2], current(KEYS[2]))
        redis.call('ZREM', live, ARGV[1])
        redis.call('ZREM', size, ARGV[1])
        for _, type in ipairs(redis.call('SMEMBERS', types)) do
            redis.call('ZREM', byType .. type, ARGV[1])
        end
        return 1
        """;

    /// <summary>
    /// KEYS: the flush epoch. ARGV: the score and member of the last one seen (empty for the first page), how many to
    /// return, 'rev' for the largest score first, '1' to skip members whose score (an expiry) has passed, the prefix of
    /// the index keys, which of the current epoch's indexes ('live', 'size', or 'z:' and a type). Returns the current
    /// epoch, then up to that many members after the one seen, in the index's order (ties by member, byte by byte, as
    /// Redis orders them), as a flat list {epoch, member, score, ...}: a page of the index in O(log n + page) while the
    /// member seen is still there (read on from its rank); when it left, from the rank it would have, found by halving
    /// the members that tie with it (O(log² n), however many tie).
    /// </summary>
    public const string Page = Indexes + """
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
        local epoch = current(KEYS[1])
        local index = under(ARGV[6], epoch) .. ARGV[7]
        local function answer(reply)
            table.insert(reply, 1, epoch)
            return reply
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
            local held = redis.call('ZSCORE', index, after)
            if held and tonumber(held) == from then
                if rev then
                    local rank = redis.call('ZREVRANK', index, after)
                    return answer(redis.call('ZRANGE', index, rank + 1, rank + limit, 'REV', 'WITHSCORES'))
                end
                local rank = redis.call('ZRANK', index, after)
                return answer(redis.call('ZRANGE', index, rank + 1, rank + limit, 'WITHSCORES'))
            end
        end
        if not after then
            if rev then
                return answer(redis.call('ZRANGE', index, start, '-inf', 'BYSCORE', 'REV', 'LIMIT', 0, limit, 'WITHSCORES'))
            end
            return answer(redis.call('ZRANGE', index, start, '+inf', 'BYSCORE', 'LIMIT', 0, limit, 'WITHSCORES'))
        end
        -- The cursor's member left (invalidated, expired, evicted; or a cursor never issued): where it would sort is
        -- found by halving the run of members that share its score (an index by size is mostly such runs, and walking
        -- one would cost its length, a million at a million keys), in O(log^2 n), then read on by rank.
        local lo
        if rev then
            lo = redis.call('ZCOUNT', index, '(' .. start, '+inf')
        else
            lo = redis.call('ZCOUNT', index, '-inf', '(' .. start)
        end
        local hi = lo + redis.call('ZCOUNT', index, start, start)
        while lo < hi do
            local mid = math.floor((lo + hi) / 2)
            local member
            if rev then
                member = redis.call('ZRANGE', index, mid, mid, 'REV')[1]
            else
                member = redis.call('ZRANGE', index, mid, mid)[1]
            end
            local past
            if rev then past = before(member, after) else past = before(after, member) end
            if past then hi = mid else lo = mid + 1 end
        end
        if rev then
            return answer(redis.call('ZRANGE', index, lo, lo + limit - 1, 'REV', 'WITHSCORES'))
        end
        return answer(redis.call('ZRANGE', index, lo, lo + limit - 1, 'WITHSCORES'))
        """;

    /// <summary>
    /// KEYS: entry, generation, flush epoch, and optionally the bulk-write generation that guards the key (its table's,
    /// or for a bare key every bulk write's). ARGV: the generation the read began at, the value, its TTL in ms, 1 to
    /// check, the epoch and the table generation the read began at, the cache key, the entity type, the size of the
    /// value's JSON, the prefix of the index keys. Indexes the key in the current epoch's indexes: the type and live
    /// indexes score a key by when it expires, in ms of the server's clock; the size index by the size. Stores the value
    /// (and indexes its key) only when all three are still the ones the read began at (the epoch even unchecked: the
    /// value names its epoch, and one stored across a flush would be in no index the reclaim walks); returns whether
    /// the value was stored and what was seen.
    /// </summary>
    public const string Populate = IncrementOrReplace + Indexes + """
        local generation = redis.call('GET', KEYS[2]) or '0'
        if redis.call('EXISTS', KEYS[3]) == 0 then
            -- The epoch was deleted: a new one from the server's clock, as a flush would (every value stored before is
            -- a miss from now on, and so is this one: its read began before).
            stamp(KEYS[3])
            return {0, generation, '-', redis.call('GET', KEYS[3])}
        end
        local epoch = current(KEYS[3])
        local table = '-'
        if KEYS[4] then
            table = redis.call('GET', KEYS[4]) or '0'
        end
        if epoch ~= ARGV[5] or (ARGV[4] == '1' and (generation ~= ARGV[1] or (KEYS[4] and table ~= ARGV[6]))) then
            return {0, generation, table, epoch}
        end
        local live, size, types, byType = indexes(ARGV[10], epoch)
        if redis.call('ZSCORE', live, ARGV[7]) then
            -- Stored over a key this epoch holds (or held until its TTL ran out): it may have held another type (a bare
            -- key), whose index must not keep it. A handful of types, and only when a key is stored over.
            for _, held in ipairs(redis.call('SMEMBERS', types)) do
                if held ~= ARGV[8] then
                    redis.call('ZREM', byType .. held, ARGV[7])
                end
            end
        end
        redis.call('SET', KEYS[1], ARGV[2], 'PX', ARGV[3])
        local t = redis.call('TIME')
        local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
        local expires = now + tonumber(ARGV[3])
        local index = byType .. ARGV[8]
        redis.call('ZADD', index, expires, ARGV[7])
        redis.call('ZADD', live, expires, ARGV[7])
        redis.call('SADD', types, ARGV[8])
        redis.call('ZADD', size, ARGV[9], ARGV[7])
        -- A few members whose time has passed leave the indexes with each populate (after the value is stored: a
        -- full Redis refuses the script whole, before its first write), so they do not pile up while no one counts.
        local gone = redis.call('ZRANGEBYSCORE', live, '-inf', now, 'LIMIT', 0, 4)
        if #gone > 0 then
            redis.call('ZREM', live, unpack(gone))
            redis.call('ZREM', size, unpack(gone))
        end
        gone = redis.call('ZRANGEBYSCORE', index, '-inf', now, 'LIMIT', 0, 4)
        if #gone > 0 then
            redis.call('ZREM', index, unpack(gone))
        end
        return {1, generation, table, epoch}
        """;

    /// <summary>
    /// KEYS: the flush epoch. ARGV: the prefix of the index keys, an entity type. Drops the members of the current
    /// epoch's index of that type whose expiry has passed and returns the rest: the keys of that type Redis still holds.
    /// </summary>
    public const string LiveMembers = Indexes + """
        local _, _, _, byType = indexes(ARGV[1], current(KEYS[1]))
        local index = byType .. ARGV[2]
        local t = redis.call('TIME')
        local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
        redis.call('ZREMRANGEBYSCORE', index, '-inf', now)
        return redis.call('ZRANGE', index, 0, -1)
        """;

    /// <summary>
    /// KEYS: the flush epoch. ARGV: the prefix of the index keys, an entity type (empty: every type), a ZSCAN cursor, a
    /// MATCH pattern, a COUNT. One ZSCAN call over the current epoch's index of live keys (or of the type's keys):
    /// returns {next cursor, {keys}}. It walks what this app cached in this epoch, never the server's other keys, nor
    /// the values an earlier epoch left for the reclaim. A cursor from before a flush walks the new index from where
    /// it points: keys cached since may be missed, as SCAN may miss a key that was not there throughout.
    /// </summary>
    public const string ScanLive = Indexes + """
        local live, _, _, byType = indexes(ARGV[1], current(KEYS[1]))
        local index = ARGV[2] == '' and live or byType .. ARGV[2]
        local reply = redis.call('ZSCAN', index, ARGV[3], 'MATCH', ARGV[4], 'COUNT', ARGV[5])
        local keys = {}
        local flat = reply[2]
        for i = 1, #flat, 2 do
            keys[#keys + 1] = flat[i]
        end
        return {reply[1], keys}
        """;

    /// <summary>
    /// KEYS: the flush epoch. ARGV: the prefix of the index keys. For each entity type of the current epoch: how many of
    /// its keys have not expired, exactly, as a flat list {type, count, type, count, ...} (O(types · log n)); expired
    /// members are left to <see cref="TrimExpired"/>, whose budget is shared by all the indexes of a call.
    /// </summary>
    public const string CountByType = Indexes + """
        local _, _, types, byType = indexes(ARGV[1], current(KEYS[1]))
        local t = redis.call('TIME')
        local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
        local answer = {}
        for _, type in ipairs(redis.call('SMEMBERS', types)) do
            local index = byType .. type
            local count = redis.call('ZCARD', index) - redis.call('ZCOUNT', index, '-inf', now)
            if count > 0 then
                table.insert(answer, type)
                table.insert(answer, count)
            end
        end
        return answer
        """;
}
