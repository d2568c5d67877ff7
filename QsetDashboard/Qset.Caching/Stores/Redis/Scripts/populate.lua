-- uses: increment indexes
-- KEYS: entry, generation, flush epoch, and optionally the bulk-write generation that guards the key (its table's,
-- or for a bare key every bulk write's). ARGV: the generation the read began at, the value, its TTL in ms, 1 to
-- check, the epoch and the table generation the read began at, the cache key, the entity type, the size of the
-- value's JSON, the prefix of the index keys. Indexes the key in the current epoch's indexes: the type and live
-- indexes score a key by when it expires, in ms of the server's clock; the size index by the size. Stores the value
-- (and indexes its key) only when all three are still the ones the read began at (the epoch even unchecked: the
-- value names its epoch, and one stored across a flush would be in no index the reclaim walks); returns whether the
-- value was stored and what was seen.
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
