using Qset.Caching.Queries;
using StackExchange.Redis;

namespace Qset.Caching.Redis;

/// <summary>The Redis store, as the dashboard browses it: exact counts, pages by key, TTL and size from the epoch's indexes, a peek.</summary>
internal sealed partial class RedisCacheStore
{
    /// <inheritdoc />
    /// <remarks>By key (in Redis's hash order), by TTL and by size, from indexes every populate keeps.</remarks>
    public IReadOnlyList<CacheOrder> Orders { get; } = [CacheOrder.Key, CacheOrder.Ttl, CacheOrder.Size];

    /// <inheritdoc />
    /// <remarks>
    /// Exact, from the index of live keys that every populate and invalidation keeps in the same script as the entry,
    /// each key scored by its expiry: keys past it are dropped and the rest counted (O(log n + expired)), never a SCAN.
    /// A key Redis itself evicts under <c>maxmemory</c> leaves the indexes when Redis announces the eviction (keyspace
    /// notifications on); with them off, when a count's random sample finds it gone (<see cref="EvictionSample"/>
    /// members a count), so the count converges on what Redis holds over about n / <see cref="EvictionSample"/> counts.
    /// </remarks>
    public ValueTask<int> CountAsync(CancellationToken cancellationToken = default) =>
        FailOpenAsync(async database =>
        {
            var count = (int)(long)(await database.ScriptEvaluateAsync(
                RedisScripts.Count,
                [_connection.EpochKey],
                [_connection.EntryPrefix, _connection.IndexPrefix, EvictionSample]).ConfigureAwait(false));
            Volatile.Write(ref _lastCount, count);
            _connection.RequestHousekeeping();
            return count;
        }, whenDown: Volatile.Read(ref _lastCount));

    /// <inheritdoc />
    public ValueTask<IReadOnlyList<CacheEntry>> ListAsync(CancellationToken cancellationToken = default) =>
        FailOpenAsync<IReadOnlyList<CacheEntry>>(async database =>
        {
            var keys = await _connection.ScanEntryKeysAsync().ConfigureAwait(false);
            List<CacheEntry> entries = [];
            foreach (var chunk in keys.Chunk(200))
            {
                var payloads = await database.StringGetAsync([.. chunk, _connection.EpochKey]).ConfigureAwait(false);
                var epoch = Generation(payloads[^1]);
                for (var i = 0; i < chunk.Length; i++)
                {
                    if ((byte[]?)payloads[i] is { } payload
                        && await DecodeOrDropAsync(database, _connection.CacheKeyOf(chunk[i]!)!, payload, epoch).ConfigureAwait(false) is { } entry)
                    {
                        entries.Add(entry);
                    }
                }
            }

            Volatile.Write(ref _lastCount, entries.Count);
            return [.. entries.OrderBy(e => e.Key, StringComparer.Ordinal)];
        }, whenDown: []);

    /// <inheritdoc />
    /// <remarks>A GET (with the flush epoch); a corrupt value reads as null and is left for a real read to remove and report.</remarks>
    public ValueTask<CacheEntry?> PeekAsync(string key, CancellationToken cancellationToken = default) =>
        IsQueryKey(key)
            ? default
            : FailOpenAsync(async database =>
            {
                var read = await database.StringGetAsync([_connection.EntryKey(key), _connection.EpochKey]).ConfigureAwait(false);
                return Current(key, read[0], Generation(read[1]));
            }, whenDown: (CacheEntry?)null);

    /// <inheritdoc />
    /// <remarks>
    /// ZSCAN of the current flush epoch's index of live keys (of the type's index, with a type filter), the text filter
    /// a MATCH pattern on the server, so only matching keys cross the network; at most a few calls per page. It walks
    /// this app's keys of this epoch only: not the server's other keys, nor the values a flush left for the reclaim (a
    /// SCAN of the keyspace did, and returned empty pages after a flush of many until the reclaim was done). Pages follow
    /// the index's hash order, not key order, and a key may repeat on a later page when Redis rehashes between two
    /// pages (ZSCAN's own guarantee: every key present throughout is returned). A page never ends inside a batch by
    /// count (<see cref="RedisScanCursor"/>), which could lose a key when writes change what a call returns the second time.
    /// </remarks>
    public ValueTask<CachePage> ListPageAsync(CacheListQuery query, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(query);
        ArgumentOutOfRangeException.ThrowIfLessThan(query.Limit, 1);
        if (query.Order is CacheOrder.Ttl or CacheOrder.Size)
        {
            return ListByIndexAsync(query);
        }

        if (query.Order != CacheOrder.Key)
        {
            throw new NotSupportedException($"The Redis store lists its keys by key (in Redis's own hash order), by TTL or by size, not by '{query.Order}'.");
        }

        var (scanCursor, pending) = RedisScanCursor.Parse(query.Cursor);

        // The type's own index holds only its keys: the pattern filters by text alone.
        var pattern = RedisScanCursor.Pattern(query.Text);

        // A call looks at about COUNT slots of the index: about a page at first, so a batch rarely overflows one.
        var count = Math.Clamp(query.Limit, 10, 500);
        return FailOpenAsync(async database =>
        {
            // What the last page could not take of its last batch comes first.
            List<RedisKey> keys = [.. pending.Take(query.Limit).Select(_connection.EntryKey)];
            if (pending.Count > query.Limit)
            {
                return await PageAsync(database, keys, RedisScanCursor.Format(scanCursor, [.. pending.Skip(query.Limit)]), query.EntityType).ConfigureAwait(false);
            }

            if (pending.Count > 0 && scanCursor == 0)
            {
                return await PageAsync(database, keys, null, query.EntityType).ConfigureAwait(false);
            }

            var cursor = scanCursor;
            for (var call = 0; call < RedisScanCursor.MaxCallsPerPage; call++)
            {
                var reply = (RedisResult[])(await database.ScriptEvaluateAsync(
                    RedisScripts.ScanLive,
                    [_connection.EpochKey],
                    [_connection.IndexPrefix, query.EntityType ?? string.Empty, cursor, pattern, count]).ConfigureAwait(false))!;
                var next = ulong.Parse((string)reply[0]!, System.Globalization.CultureInfo.InvariantCulture);
                var batch = ((RedisResult[])reply[1]!).Select(r => (string)r!).ToArray();
                var room = query.Limit - keys.Count;
                if (batch.Length > room)
                {
                    if (keys.Count > 0)
                    {
                        // The page ends before this batch: the next page runs the same call again, whole.
                        return await PageAsync(database, keys, RedisScanCursor.Format(cursor), query.EntityType).ConfigureAwait(false);
                    }

                    // One batch is more than a page: the rest of it rides in the cursor.
                    keys.AddRange(batch[..room].Select(_connection.EntryKey));
                    return await PageAsync(database, keys, RedisScanCursor.Format(next, batch[room..]), query.EntityType).ConfigureAwait(false);
                }

                keys.AddRange(batch.Select(_connection.EntryKey));
                cursor = next;
                if (cursor == 0)
                {
                    return await PageAsync(database, keys, null, query.EntityType).ConfigureAwait(false);
                }

                // A sparse match (a text filter) looks at more slots a call, so a page's calls cover a million keys,
                // not the first hundred thousand; matches stay about a page a call, so a batch that overflows, and the
                // keys its cursor carries, stay about a page too.
                if (batch.Length < room / 4)
                {
                    count = Math.Min(count * 4, MaxScanCount);
                }
            }

            return await PageAsync(database, keys, RedisScanCursor.Format(cursor), query.EntityType).ConfigureAwait(false);
        }, whenDown: new CachePage([], null));
    }

    /// <summary>The most slots one ZSCAN call of a key-order page looks at (about a millisecond of the server's time).</summary>
    private const int MaxScanCount = 8_192;

    /// <summary>
    /// A page by TTL (the index of live keys, or of the type's keys, both scored by expiry) or by size (the index by
    /// size, largest first): each call of the page script returns the next members after the cursor's, O(log n + page),
    /// never a SCAN. The text filter is applied to the members, the type filter (by size) to membership of the type's
    /// index, then to the values read; a sparse filter returns a short page and a cursor after a few calls. The cursor
    /// names the last member seen and its score.
    /// </summary>
    private ValueTask<CachePage> ListByIndexAsync(CacheListQuery query)
    {
        var bySize = query.Order == CacheOrder.Size;
        if (bySize)
        {
            _connection.RequestHousekeeping();
        }

        var (score, member) = ParseIndexCursor(bySize ? SizeCursorMark : TtlCursorMark, query.Cursor);
        var index = bySize ? "size" : query.EntityType is { } type ? $"z:{type}" : "live";
        var batch = Math.Max(query.Limit, 100);
        return FailOpenAsync(async database =>
        {
            List<CacheEntry> page = [];
            for (var call = 0; call < RedisScanCursor.MaxCallsPerPage; call++)
            {
                var flat = (RedisResult[])(await database.ScriptEvaluateAsync(
                    RedisScripts.Page,
                    [_connection.EpochKey],
                    [score ?? string.Empty, member ?? string.Empty, batch, bySize ? "rev" : "fwd", bySize ? "0" : "1", _connection.IndexPrefix, index]).ConfigureAwait(false))!;
                var epoch = Generation((RedisValue)flat[0]);
                List<(string Member, string Score)> candidates = [];
                for (var i = 1; i + 1 < flat.Length; i += 2)
                {
                    candidates.Add(((string)flat[i]!, (string)flat[i + 1]!));
                }

                var wanted = candidates.Where(c => query.Text is null || c.Member.Contains(query.Text, StringComparison.OrdinalIgnoreCase)).ToList();
                if (bySize && query.EntityType is { } entityType && wanted.Count > 0)
                {
                    // Only the type's own keys are read (ZMSCORE on its index): a sparse type no longer costs a read of
                    // every value the size order passes.
                    var scores = await database.SortedSetScoresAsync(_connection.TypeIndexKey(epoch, entityType), [.. wanted.Select(c => (RedisValue)c.Member)]).ConfigureAwait(false);
                    wanted = [.. wanted.Where((_, i) => scores[i] is not null)];
                }

                // With the epoch again: a flush since the page script ran makes these values misses too.
                var payloads = wanted.Count == 0 ? [] : await database.StringGetAsync([.. wanted.Select(c => _connection.EntryKey(c.Member)), _connection.EpochKey]).ConfigureAwait(false);
                var read = new Dictionary<string, CacheEntry>(StringComparer.Ordinal);
                for (var i = 0; i < wanted.Count; i++)
                {
                    if (Current(wanted[i].Member, payloads[i], Generation(payloads[^1])) is { } entry
                        && (query.EntityType is null || entry.EntityType == query.EntityType))
                    {
                        read[wanted[i].Member] = entry;
                    }
                }

                foreach (var candidate in candidates)
                {
                    if (page.Count == query.Limit)
                    {
                        return new CachePage(page, IndexCursor(bySize, score!, member!));
                    }

                    (score, member) = (candidate.Score, candidate.Member);
                    if (read.TryGetValue(candidate.Member, out var entry))
                    {
                        page.Add(entry);
                    }
                }

                if (candidates.Count < batch)
                {
                    return new CachePage(page, null);
                }

                if (page.Count == query.Limit)
                {
                    return new CachePage(page, IndexCursor(bySize, score!, member!));
                }
            }

            return new CachePage(page, IndexCursor(bySize, score!, member!));
        }, whenDown: new CachePage([], null));
    }

    private const char TtlCursorMark = 't';
    private const char SizeCursorMark = 's';

    private static (string? Score, string? Member) ParseIndexCursor(char mark, string? cursor)
    {
        if (cursor is null)
        {
            return (null, null);
        }

        var colon = cursor.IndexOf(':', StringComparison.Ordinal);
        return cursor.Length > 3 && cursor[0] == mark && colon > 1
            && long.TryParse(cursor.AsSpan(1, colon - 1), System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out _)
            ? (cursor[1..colon], cursor[(colon + 1)..])
            : throw new ArgumentException("The cursor was not made by the Redis store's listing by TTL or size.", nameof(cursor));
    }

    private static string IndexCursor(bool bySize, string score, string member) => $"{(bySize ? SizeCursorMark : TtlCursorMark)}{score}:{member}";

    // Of entityType only, when it is given: a type's index may still name a key stored over with another type by a
    // version before the populate script left the old type's index.
    private async Task<CachePage> PageAsync(IDatabase database, List<RedisKey> keys, string? next, string? entityType = null)
    {
        var payloads = keys.Count == 0 ? [] : await database.StringGetAsync([.. keys, _connection.EpochKey]).ConfigureAwait(false);
        List<CacheEntry> entries = [];
        for (var i = 0; i < keys.Count; i++)
        {
            if (Current(_connection.CacheKeyOf(keys[i]!)!, payloads[i], Generation(payloads[^1])) is { } entry
                && (entityType is null || entry.EntityType == entityType))
            {
                entries.Add(entry);
            }
        }

        return new CachePage(entries, next);
    }

    /// <inheritdoc />
    /// <remarks>Query results are never stored in Redis: there are none to count per table.</remarks>
    public async ValueTask<CacheNamespaceCounts?> CountNamespacesAsync(CancellationToken cancellationToken = default) =>
        new CacheNamespaceCounts(await CountByTypeAsync(cancellationToken).ConfigureAwait(false), new Dictionary<string, int>(StringComparer.Ordinal));

    /// <summary>How many live keys each entity type has, exactly, from the type indexes (O(types · log n), never a SCAN).</summary>
    public ValueTask<IReadOnlyDictionary<string, int>> CountByTypeAsync(CancellationToken cancellationToken = default) =>
        FailOpenAsync<IReadOnlyDictionary<string, int>>(async database =>
        {
            var flat = (RedisResult[])(await database.ScriptEvaluateAsync(RedisScripts.CountByType, [_connection.EpochKey], [_connection.IndexPrefix]).ConfigureAwait(false))!;
            _connection.RequestHousekeeping();
            var counts = new Dictionary<string, int>(StringComparer.Ordinal);
            for (var i = 0; i + 1 < flat.Length; i += 2)
            {
                counts[(string)flat[i]!] = (int)flat[i + 1];
            }

            return counts;
        }, whenDown: new Dictionary<string, int>(StringComparer.Ordinal));
}
