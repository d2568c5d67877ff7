-- KEYS: a key's load lease. ARGV: this node's id. Ends this node's lease on the database read of a key, when it still
-- holds it (one that lapsed may be another node's now). Returns 1 when it held it.
if redis.call('GET', KEYS[1]) == ARGV[1] then
  return redis.call('DEL', KEYS[1])
end
return 0
