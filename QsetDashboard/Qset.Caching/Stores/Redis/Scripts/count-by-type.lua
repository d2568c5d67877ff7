-- uses: indexes
-- KEYS: the flush epoch. ARGV: the prefix of the index keys. For each entity type of the current epoch: how many of
-- its keys have not expired, exactly, as a flat list {type, count, type, count, ...} (O(types · log n)); expired
-- members are left to trim-expired.lua, whose budget is shared by all the indexes of a call.
local _, _, types, byType = indexes(ARGV[1], current(KEYS[1]))
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local answer = {}
for _, type in ipairs(redis.call('SMEMBERS', types)) do
    local index = byType .. type
    local count = redis.call('ZCARD', index) - redis.call('ZCOUNT', index, '-inf', now)
    if count > 0 then
        table.insert(answer, type)
        table.insert(answer, count)
    end
end
return answer
