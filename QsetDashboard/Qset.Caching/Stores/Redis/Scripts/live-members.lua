-- uses: indexes
-- KEYS: the flush epoch. ARGV: the prefix of the index keys, an entity type. Drops the members of the current
-- epoch's index of that type whose expiry has passed and returns the rest: the keys of that type Redis still holds.
local _, _, _, byType = indexes(ARGV[1], current(KEYS[1]))
local index = byType .. ARGV[2]
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
redis.call('ZREMRANGEBYSCORE', index, '-inf', now)
return redis.call('ZRANGE', index, 0, -1)
