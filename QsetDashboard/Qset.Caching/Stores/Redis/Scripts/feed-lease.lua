-- KEYS: a database feed's lease, its follower's report, its follower's position. ARGV: this node's id, the lease's TTL
-- in ms, the report ('' for none), the report's TTL in ms, the position ('' for none), the position's TTL in ms.
-- One turn of a node of the cluster: it takes the lease when no node holds it, renews it when it holds it (then
-- writes its report and position), or reads the holder's report. Returns {1, position or false} taken now,
-- {2} renewed, {0, holder, report or false} held by another node.
local holder = redis.call('GET', KEYS[1])
if not holder then
  redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
  return {1, redis.call('GET', KEYS[3])}
end
if holder ~= ARGV[1] then
  return {0, holder, redis.call('GET', KEYS[2])}
end
redis.call('PEXPIRE', KEYS[1], ARGV[2])
if ARGV[3] ~= '' then
  redis.call('SET', KEYS[2], ARGV[3], 'PX', ARGV[4])
end
if ARGV[5] ~= '' then
  redis.call('SET', KEYS[3], ARGV[5], 'PX', ARGV[6])
end
return {2}
