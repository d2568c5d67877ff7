-- uses: increment invalidate-one indexes
-- KEYS: entry, generation, the flush epoch. ARGV: generation TTL in ms, the cache key, the prefix of the index
-- keys, the key's entity type (empty for a bare key, whose type the key does not tell). Drops the entry, bumps the
-- generation, drops the key from the current epoch's indexes (a bare key from every type's); returns 1 when there
-- was an entry.
--
-- The drop comes first, and an invalidation works on a full Redis too: DEL frees memory, so Redis never refuses it
-- for want of it, and once a script has written, its later writes (INCR, or the SET of increment.lua)
-- are not refused either. Refused, the entry would stay for the other nodes to serve while this one waits to replay
-- the invalidation. The bump comes right after, and cannot fail (a counter holding text is replaced), so nothing
-- fails between the drop and the bump.
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
