-- KEYS: any key of the prefix (unused: it routes the call to the server that holds the prefix's keys). Returns INFO
-- memory, whose maxmemory_policy says whether Redis may evict the indexes.
return redis.call('INFO', 'memory')
