-- Lua functions: increment(key): INCR, or, when the key holds something else than an integer (another program wrote
-- under the prefix), stamp(key): SET it to the server's time in microseconds, a number no read of the counter can
-- have seen (the counters count writes from 0, or from such a stamp taken earlier), so every populate that began
-- before is still refused; returns the new value. Without it the INCR fails, and with it every write to that key or
-- table.
local function stamp(key)
    local t = redis.call('TIME')
    local value = tonumber(t[1]) * 1000000 + tonumber(t[2])
    redis.call('SET', key, value)
    return value
end
local function increment(key)
    local value = redis.pcall('INCR', key)
    if type(value) == 'table' and value.err then
        value = stamp(key)
    end
    return value
end
