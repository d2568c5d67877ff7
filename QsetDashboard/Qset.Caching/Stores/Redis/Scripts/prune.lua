-- uses: indexes
-- KEYS: an entry, the flush epoch. ARGV: the cache key, the prefix of the index keys. When Redis no longer holds
-- the entry (it evicted it), drops the key from every index of the current epoch; returns 1 when it did. Harmless
-- when the key was populated again meanwhile: it then holds its entry.
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
