-- uses: increment invalidate-one indexes
-- KEYS: the flush epoch. ARGV: the prefix of entry keys, the prefix of generation keys, the generation TTL in ms,
-- the most members to take, the prefix of the index keys, the entity type. Invalidates up to that many keys of the
-- type's index in the current epoch as invalidate.lua does each (drop, bump the generation, leave the indexes);
-- returns how many it took, the keys whose entry it dropped, and how many members the index still has. A bulk write
-- of a table costs one call per that many keys. (Keys of an older epoch are never served again.)
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
