-- KEYS: the set of node ids. ARGV: the prefix of presence keys. Returns the heartbeat of every node whose presence
-- has not expired, and drops the others from the set: O(nodes), whatever else the server holds (a SCAN for the
-- presence keys walked the whole keyspace, every second the Cache page was open).
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
