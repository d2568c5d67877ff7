-- A Lua local, trim: the most expired members one script drops from an index, so that no script runs long at any
-- size (a million keys that expired together leave over many calls).
local trim = 2000
