-- uses: increment indexes
-- KEYS: the flush epoch, the set of epochs left to reclaim. ARGV: the prefix of the index keys, the prefix of entry
-- keys, the most entries to name and drop now. Starts a new epoch (from the server's clock when the epoch is
-- missing), and with it empty indexes: every populate whose read began before is refused, and every value stored
-- before reads as a miss (each value names its epoch), on every node, in one call whatever the cache holds. Returns
-- the old epoch and how many of its keys had not expired; when that is at most the number to name, it also drops
-- their entries and returns the type and key of each it dropped. Whatever else the old epoch holds is left to drop-
-- chunk.lua, which reclaims it in the background (the old epoch joins the set of epochs to reclaim).
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
