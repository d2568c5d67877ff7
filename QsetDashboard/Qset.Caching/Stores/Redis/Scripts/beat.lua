-- KEYS: a node's presence key, the set of node ids. ARGV: its value, its TTL in ms, the node's id. Sets it and
-- names the node in the set, on a full Redis too (as bump.lua): a refused heartbeat would count as an outage, and a
-- full Redis is none.
redis.call('PERSIST', KEYS[1])
redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
return redis.call('SADD', KEYS[2], ARGV[3])
