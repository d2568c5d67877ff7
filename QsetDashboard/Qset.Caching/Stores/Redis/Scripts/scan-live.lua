-- uses: indexes
-- KEYS: the flush epoch. ARGV: the prefix of the index keys, an entity type (empty: every type), a ZSCAN cursor, a
-- MATCH pattern, a COUNT. One ZSCAN call over the current epoch's index of live keys (or of the type's keys):
-- returns {next cursor, {keys}}. It walks what this app cached in this epoch, never the server's other keys, nor
-- the values an earlier epoch left for the reclaim. A cursor from before a flush walks the new index from where it
-- points: keys cached since may be missed, as SCAN may miss a key that was not there throughout.
local live, _, _, byType = indexes(ARGV[1], current(KEYS[1]))
local index = ARGV[2] == '' and live or byType .. ARGV[2]
local reply = redis.call('ZSCAN', index, ARGV[3], 'MATCH', ARGV[4], 'COUNT', ARGV[5])
local keys = {}
local flat = reply[2]
for i = 1, #flat, 2 do
    keys[#keys + 1] = flat[i]
end
return {reply[1], keys}
