-- uses: indexes
-- KEYS: the flush epoch, the set of epochs left to reclaim. ARGV: the prefix of the index keys, the prefix of entry
-- keys, an old epoch (empty: the indexes of versions before epochs had indexes of their own, directly under the
-- prefix), the most members to take, the prefix. Reclaims up to that many members of the old epoch's indexes (type
-- by type, then whatever its indexes of live keys and sizes still hold) and drops each one's entry unless the key
-- was populated again in the current epoch (it is then in the current index of live keys, which its populate wrote
-- with its value, in one script). Once the old epoch's indexes are empty it leaves the set; nothing adds to them
-- after its flush (populates and invalidations name the current epoch's). Returns how many members it took (fewer
-- than asked: that epoch is done), or -1 when another node holds the reclaim: KEYS[3] names the node that reclaims
-- (ARGV[6], this node's id) for ARGV[7] ms, renewed by each call, so one node reclaims at a time however many there
-- are (each running its own reclaim added its load to Redis's), and another takes over once it stops.
local holder = redis.call('GET', KEYS[3])
if holder and holder ~= ARGV[6] then
    return -1
end
redis.call('SET', KEYS[3], ARGV[6], 'PX', ARGV[7])
local epoch = ARGV[3]
local limit = tonumber(ARGV[4])
local now = current(KEYS[1])
if epoch == now then
    redis.call('SREM', KEYS[2], epoch)
    return 0
end
local live, size, types, byType
if epoch == '' then
    live, size, types, byType = ARGV[5] .. 'live', ARGV[5] .. 'size', ARGV[5] .. 'types', ARGV[5] .. 'z:'
else
    live, size, types, byType = indexes(ARGV[1], epoch)
end
local held = indexes(ARGV[1], now)
local taken = 0
local function reclaim(members)
    for _, member in ipairs(members) do
        if not redis.call('ZSCORE', held, member) then
            redis.call('DEL', ARGV[2] .. member)
        end
    end
    taken = taken + #members
end
for _, type in ipairs(redis.call('SMEMBERS', types)) do
    local index = byType .. type
    local members = redis.call('ZRANGE', index, 0, limit - taken - 1)
    if #members > 0 then
        reclaim(members)
        redis.call('ZREM', index, unpack(members))
        redis.call('ZREM', live, unpack(members))
        redis.call('ZREM', size, unpack(members))
    end
    if redis.call('EXISTS', index) == 0 then
        redis.call('SREM', types, type)
    end
    if taken >= limit then
        return taken
    end
end
for _, index in ipairs({live, size}) do
    local members = redis.call('ZRANGE', index, 0, limit - taken - 1)
    if #members > 0 then
        reclaim(members)
        redis.call('ZREM', live, unpack(members))
        redis.call('ZREM', size, unpack(members))
    end
    if taken >= limit then
        return taken
    end
end
redis.call('SREM', KEYS[2], epoch)
return taken
