-- uses: indexes
-- KEYS: the flush epoch. ARGV: the score and member of the last one seen (empty for the first page), how many to
-- return, 'rev' for the largest score first, '1' to skip members whose score (an expiry) has passed, the prefix of
-- the index keys, which of the current epoch's indexes ('live', 'size', or 'z:' and a type). Returns the current
-- epoch, then up to that many members after the one seen, in the index's order (ties by member, byte by byte, as
-- Redis orders them), as a flat list {epoch, member, score, ...}: a page of the index in O(log n + page) while the
-- member seen is still there (read on from its rank); when it left, from the rank it would have, found by halving
-- the members that tie with it (O(log² n), however many tie).
local function before(a, b)
    local n = math.min(#a, #b)
    for i = 1, n do
        local x, y = string.byte(a, i), string.byte(b, i)
        if x ~= y then
            return x < y
        end
    end
    return #a < #b
end
local epoch = current(KEYS[1])
local index = under(ARGV[6], epoch) .. ARGV[7]
local function answer(reply)
    table.insert(reply, 1, epoch)
    return reply
end
local rev = ARGV[4] == 'rev'
local limit = tonumber(ARGV[3])
local start = ARGV[1]
local after = ARGV[2]
if start == '' then
    start = rev and '+inf' or '-inf'
    after = nil
end
if ARGV[5] == '1' then
    local t = redis.call('TIME')
    local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
    if start == '-inf' or tonumber(start) <= now then
        start = '(' .. now
        after = nil
    end
end
local from = after and tonumber(start) or nil
if after then
    -- The cursor's member still there at its score: read on by position, O(log n), however many share it.
    local held = redis.call('ZSCORE', index, after)
    if held and tonumber(held) == from then
        if rev then
            local rank = redis.call('ZREVRANK', index, after)
            return answer(redis.call('ZRANGE', index, rank + 1, rank + limit, 'REV', 'WITHSCORES'))
        end
        local rank = redis.call('ZRANK', index, after)
        return answer(redis.call('ZRANGE', index, rank + 1, rank + limit, 'WITHSCORES'))
    end
end
if not after then
    if rev then
        return answer(redis.call('ZRANGE', index, start, '-inf', 'BYSCORE', 'REV', 'LIMIT', 0, limit, 'WITHSCORES'))
    end
    return answer(redis.call('ZRANGE', index, start, '+inf', 'BYSCORE', 'LIMIT', 0, limit, 'WITHSCORES'))
end
-- The cursor's member left (invalidated, expired, evicted; or a cursor never issued): where it would sort is
-- found by halving the run of members that share its score (an index by size is mostly such runs, and walking
-- one would cost its length, a million at a million keys), in O(log^2 n), then read on by rank.
local lo
if rev then
    lo = redis.call('ZCOUNT', index, '(' .. start, '+inf')
else
    lo = redis.call('ZCOUNT', index, '-inf', '(' .. start)
end
local hi = lo + redis.call('ZCOUNT', index, start, start)
while lo < hi do
    local mid = math.floor((lo + hi) / 2)
    local member
    if rev then
        member = redis.call('ZRANGE', index, mid, mid, 'REV')[1]
    else
        member = redis.call('ZRANGE', index, mid, mid)[1]
    end
    local past
    if rev then past = before(member, after) else past = before(after, member) end
    if past then hi = mid else lo = mid + 1 end
end
if rev then
    return answer(redis.call('ZRANGE', index, lo, lo + limit - 1, 'REV', 'WITHSCORES'))
end
return answer(redis.call('ZRANGE', index, lo, lo + limit - 1, 'WITHSCORES'))
