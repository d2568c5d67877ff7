-- uses: increment
-- KEYS: one or more counters (the flush epoch; a table's bulk-write generation and that of every bulk write).
-- Increments each and returns the first's new value, on a full Redis too: PERSIST (a no-op on a counter, and a
-- write Redis never refuses for want of memory) comes first, and a script that has written is not refused its later
-- writes. A refused bump would leave in-flight populates unrefused, or keep a recovery from ever finishing while
-- Redis stays full.
redis.call('PERSIST', KEYS[1])
local first = increment(KEYS[1])
for i = 2, #KEYS do
    increment(KEYS[i])
end
return first
