-- Lua functions: current(epochKey), the flush epoch (0 when it is missing); under(prefix, epoch), what that epoch's
-- index keys start with; and indexes(prefix, epoch), the keys of that epoch's indexes: live keys by expiry, live
-- keys by size, the set of entity types, and the prefix of the index of each type's keys. Every epoch has indexes
-- of its own, so a flush (a new epoch) empties them all at once, and what an old epoch held is reclaimed in the
-- background (drop-chunk.lua). Scripts name them from the epoch they read: every index key shares the prefix, so on
-- a cluster (whose prefix must be a hash tag) they are in the slot of the keys the script was given.
local function current(epochKey)
    return redis.call('GET', epochKey) or '0'
end
local function under(prefix, epoch)
    return prefix .. epoch .. ':'
end
local function indexes(prefix, epoch)
    local at = under(prefix, epoch)
    return at .. 'live', at .. 'size', at .. 'types', at .. 'z:'
end
