-- KEYS: a database feed's lease, its follower's report, its follower's position. ARGV: this node's id, the position
-- ('' for none), the position's TTL in ms. A follower that stops hands the feed on: when it still holds the lease, it
-- writes its last position and deletes the lease and its report, so that the next node takes over at once.
-- Returns 1 when it held the lease, 0 otherwise.
if redis.call('GET', KEYS[1]) ~= ARGV[1] then
  return 0
end
if ARGV[2] ~= '' then
  redis.call('SET', KEYS[3], ARGV[2], 'PX', ARGV[3])
end
redis.call('DEL', KEYS[1], KEYS[2])
return 1
