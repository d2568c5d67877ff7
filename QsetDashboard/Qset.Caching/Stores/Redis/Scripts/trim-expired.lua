-- uses: trim-limit indexes
-- KEYS: the flush epoch. ARGV: the prefix of the index keys. Drops up to trim-limit.lua expired members from the
-- current epoch's live and size indexes, and as many from its type indexes together; returns how many expired
-- members are left in the most crowded of them (0: done). The size index cannot skip expired members by score (its
-- score is a size), so this is what keeps a listing by size from wading through them.
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
