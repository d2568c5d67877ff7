-- uses: increment
-- KEYS: the flush epoch. Sets it from the server's clock (microseconds) unless it exists, and returns it. The first
-- connection runs it: an epoch counted from 0 would come round again after someone deleted the key, and the values
-- of that earlier epoch still in Redis would be served again; an epoch from the clock never does.
if redis.call('EXISTS', KEYS[1]) == 0 then
    stamp(KEYS[1])
end
return redis.call('GET', KEYS[1])
