-- A Lua function, invalidate(entry, generation, ttl, live, size, member), after increment.lua: drops the
-- entry (first: the write a full Redis never refuses), bumps its generation and keeps it for ttl ms, and drops the
-- member from the live and size indexes; returns 1 when there was an entry of the current epoch (one left from
-- before a flush, waiting for its reclaim, was already a miss: dropping it removes nothing a reader could see). One
-- key of invalidate.lua, and each key of invalidate-type-chunk.lua.
local function invalidate(entry, generation, ttl, live, size, member)
    local held = redis.call('ZSCORE', live, member)
    local dropped = redis.call('DEL', entry)
    increment(generation)
    redis.call('PEXPIRE', generation, ttl)
    redis.call('ZREM', live, member)
    redis.call('ZREM', size, member)
    if dropped == 1 and held then
        return 1
    end
    return 0
end
