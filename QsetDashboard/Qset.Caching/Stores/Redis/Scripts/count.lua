-- uses: indexes
-- KEYS: the flush epoch. ARGV: the prefix of entry keys, the prefix of the index keys, how many members to sample.
-- Checks a random sample of the current epoch's live keys for their entry and drops those whose entry Redis no
-- longer holds (evicted under maxmemory) from every index, so such a key leaves the count within a few counts.
-- Returns how many members of the index of live keys (each scored by when it expires, in ms of the server's clock)
-- have not expired, exactly, in O(log n + sample): expired members are left to trim-expired.lua (a million keys
-- that expired together once made this script block Redis for seconds).
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
