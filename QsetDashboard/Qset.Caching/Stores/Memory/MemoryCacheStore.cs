using System.Collections.Concurrent;
using Microsoft.Extensions.Caching.Memory;
using Microsoft.Extensions.Options;

namespace Qset.Caching;

/// <summary>
/// The default store: an <see cref="MemoryCache"/> holds the values (unless <see cref="CacheOptions.ValuesInMemoryCache"/>
/// is off: reads never go through it), bounded to <see cref="CacheOptions.Capacity"/> entries. When full, a new key evicts the entry <see cref="SieveOrder"/> chooses (O(1), whatever the capacity), so
/// the store never holds more than its capacity. A hit writes nothing shared: it reads a lock-free index and sets the
/// entry's own visited bit. An index by entity type lets a bulk write invalidate what it touched without listing the
/// store. TTL expiry is the store's own: a read of an expired entry, or the expiry scan (once every
/// <see cref="CacheOptions.ExpirationScanInterval"/>, a tenth of the store, a chunk of entries per hold of the lock),
/// removes it and records EXPIRE; eviction records EVICT as it chooses. No entry registers an eviction callback with <see cref="MemoryCache"/>
/// (160 bytes an entry), and <see cref="MemoryCache"/> runs no scan of its own.
/// </summary>
internal sealed class MemoryCacheStore : ICacheStore, ICacheBrowser, ISynchronousStore, IDisposable
{
    private const char CursorMark = 'm';
    private const char AgeCursorMark = 'a';
    private const char TtlCursorMark = 't';
    private const char SizeCursorMark = 's';

    // An order kept on demand is built this many keys per hold of the write lock.
    private const int BuildChunk = 4_096;

    // The expiry scan looks at this many entries per hold of the write lock, and at least this many per tick.
    private const int ExpiryScanChunk = 8_192;
    private const int ExpiryScanBudget = 4 * ExpiryScanChunk;

    // With a text filter a page may need to pass over many keys: at most this many per page, then it returns a cursor.
    private const int ScanBudget = 20_000;

    private MemoryCache? _cache;
    private readonly EntryTable _index;
    private readonly InvalidationStamps _stamps;
    private readonly Lock _writeLock = new();
    private readonly CacheRecorder _recorder;
    private readonly TimeProvider _timeProvider;
    private readonly CacheOptions _options;
    private int _scanning;
    private readonly ITimer _expirationScan;
    private readonly TimeProviderClock _clock;
    private readonly SieveOrder _order = new();
    private readonly Dictionary<string, SortedKeys> _keysByType = new(StringComparer.Ordinal);
    private long _linkSequence;
    private readonly EntryOrderIndex _byTtl = new(CacheOrder.Ttl);
    private readonly EntryOrderIndex _bySize = new(CacheOrder.Size);

    // Cached query results per table they read, counted as they come and go: the Cache page's namespace tree.
    private readonly Dictionary<string, int> _queriesByTable = new(StringComparer.Ordinal);

    /// <summary>The coarse clock the store checks TTLs against.</summary>
    internal TimeProviderClock Clock => _clock;

    /// <summary>Creates the store.</summary>
    public MemoryCacheStore(IOptions<CacheOptions> options, CacheRecorder recorder, TimeProvider timeProvider)
    {
        _options = options.Value;
        _index = new EntryTable(_writeLock);
        _recorder = recorder;
        _timeProvider = timeProvider;
        _stamps = new InvalidationStamps(Math.Max(4 * _options.Capacity, 1_024));

        // The recorder's clock when both read the same provider: a HIT is stamped with the time the TTL was checked
        // against, and on one clock it never reads earlier than the events recorded before it.
        _clock = recorder.ClockOver(timeProvider);
        _cache = NewMemoryCache();
        _expirationScan = timeProvider.CreateTimer(
            static state => ((MemoryCacheStore)state!).ScanForExpired(),
            this,
            _options.ExpirationScanInterval,
            _options.ExpirationScanInterval);
    }

    /// <inheritdoc />
    public string Name => "Memory";

    /// <inheritdoc />
    public int Capacity => _options.Capacity;

    /// <inheritdoc />
    /// <remarks>By TTL and by size, an order is built when first asked for and kept while it is used.</remarks>
    public IReadOnlyList<CacheOrder> Orders { get; } = [CacheOrder.Key, CacheOrder.Newest, CacheOrder.Oldest, CacheOrder.Ttl, CacheOrder.Size];

    /// <summary>
    /// A page showing <paramref name="order"/> is still open, though it had no reason to list again: the order is kept
    /// as if it were asked for, so it is not dropped (and rebuilt, with a wait) under an open page of a quiet store.
    /// </summary>
    public void KeepOrder(CacheOrder order)
    {
        lock (_writeLock)
        {
            KeptOnDemand(order)?.Touch(_timeProvider.GetTimestamp());
        }
    }

    /// <summary>The index of an order kept on demand (by TTL, by size); null for the orders always kept.</summary>
    private EntryOrderIndex? KeptOnDemand(CacheOrder order) => order switch
    {
        CacheOrder.Ttl => _byTtl,
        CacheOrder.Size => _bySize,
        _ => null,
    };

    /// <summary>Whether the order by TTL or by size is kept now (it is dropped after going unused).</summary>
    internal bool Keeps(CacheOrder order)
    {
        lock (_writeLock)
        {
            return KeptOnDemand(order)?.Active ?? true;
        }
    }

    /// <summary>How many keys' invalidation stamps are held (bounded: the rest fold into a floor).</summary>
    internal int TrackedInvalidations
    {
        get
        {
            lock (_writeLock)
            {
                return _stamps.TrackedKeys;
            }
        }
    }

    /// <inheritdoc />
    public int Count => _index.Count;

    /// <inheritdoc />
    public ValueTask<int> CountAsync(CancellationToken cancellationToken = default) => new(Count);

    /// <inheritdoc />
    public ValueTask<CacheEntry?> GetAsync(string key, CancellationToken cancellationToken = default) =>
        new(GetLive(key, out _));

    /// <summary>
    /// <see cref="GetAsync"/>, synchronously, also giving the time it checked the TTL against (UTC ticks of the store's
    /// time provider; 0 when the key is absent), so the engine's hit reads the clock once.
    /// </summary>
    public CacheEntry? GetLive(string key, out long nowUtcTicks)
    {
        // Read from the index, with the TTL checked here against the coarse clock (a sliding entry against the time of
        // its latest read, which the hit then moves on); recency for eviction is the visited bit. An expired entry is
        // removed now, with its EXPIRE, rather than at the next scan.
        if (!_index.TryGetValue(key, out var entry))
        {
            nowUtcTicks = 0;
            return null;
        }

        nowUtcTicks = _clock.UtcNow.UtcTicks;
        if (!entry.Slides ? nowUtcTicks < entry.AbsoluteExpirationTicks : entry.ExpiresAt(_timeProvider).UtcTicks > nowUtcTicks)
        {
            entry.MarkVisited();
            if (entry.Slides)
            {
                entry.Touch(_timeProvider.GetTimestamp());
            }

            return entry;
        }

        bool removed;
        lock (_writeLock)
        {
            removed = RemoveExpired(entry);
        }

        if (removed)
        {
            RecordExpire(entry);
        }

        return default;
    }

    /// <inheritdoc />
    public ValueTask<PopulateTicket> BeginPopulateAsync(string key, CancellationToken cancellationToken = default)
    {
        lock (_writeLock)
        {
            return new ValueTask<PopulateTicket>(new PopulateTicket(key, _stamps.Now));
        }
    }

    /// <inheritdoc />
    public ValueTask<PopulateResult> TryPopulateAsync(CacheEntry entry, PopulateTicket ticket, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(entry);
        PopulateResult result;
        CacheEntry? evicted;
        CacheEntry? replaced;
        lock (_writeLock)
        {
            var invalidatedAt = _stamps.LastInvalidation(entry.Key, entry.EntityType);
            if (_options.GuardPopulate && invalidatedAt > ticket.Stamp)
            {
                return new ValueTask<PopulateResult>(PopulateResult.Rejected(
                    $"key invalidated (stamp {invalidatedAt}) after this read began (stamp {ticket.Stamp}): the value may be stale"));
            }

            CacheEntry? victim = null;
            if (_index.TryGetValue(entry.Key, out replaced))
            {
                Unlink(replaced);
            }
            else if (_order.Count >= _options.Capacity)
            {
                victim = EvictOne();
            }

            // The store slides and expires entries itself: the cache only holds the value, until its absolute TTL.
            Link(entry);
            _index.Set(entry);
            _cache?.Set(entry.Key, entry, entry.AbsoluteExpiration);
            result = PopulateResult.StoredOver(replaced is not null && replaced.EntityType != entry.EntityType ? replaced.EntityType : null);
            evicted = victim;
        }

        if (evicted is not null && evicted.ExpiresAt(_timeProvider) <= _timeProvider.GetUtcNow())
        {
            // The sweep had not reached it yet: its TTL had run out, whatever made room.
            RecordExpire(evicted);
        }
        else if (evicted is not null)
        {
            _recorder.Record(CacheEventKind.Evict, evicted.Key, evicted.EntityType,
                detail: $"capacity of {_options.Capacity} entries reached; the eviction hand chose the oldest entry not read since its last pass", source: "store");
        }

        return new ValueTask<PopulateResult>(result);
    }

    /// <inheritdoc />
    public ValueTask<bool> InvalidateAsync(string key, CancellationToken cancellationToken = default)
    {
        lock (_writeLock)
        {
            _stamps.Stamp(key);
            return new ValueTask<bool>(RemoveKey(key));
        }
    }

    /// <inheritdoc />
    /// <remarks>
    /// As <see cref="InvalidateAsync"/> of each key of the type, a chunk of keys per hold of the write lock: a million
    /// keys take a few hundred short holds, not a million, and readers and writers of other keys go on in between.
    /// </remarks>
    public ValueTask<IReadOnlyList<string>> InvalidateTypeAsync(string entityType, CancellationToken cancellationToken = default)
    {
        string[] keys;
        lock (_writeLock)
        {
            // First the type's stamp: a populate of any key of the type whose read began before now is refused, held
            // or not, stored between two chunks, or a Hybrid copy from L2 under way (it carries no table stamps).
            _stamps.StampType(entityType);
            keys = _keysByType.TryGetValue(entityType, out var set) ? [.. set] : [];
        }

        List<string> dropped = [];
        foreach (var chunk in keys.Chunk(BuildChunk))
        {
            lock (_writeLock)
            {
                dropped.AddRange(chunk.Where(RemoveKey));
            }
        }

        return new ValueTask<IReadOnlyList<string>>(dropped);
    }

    /// <summary>How many values <see cref="MemoryCache"/> holds, null without one (for tests: it holds what the index holds, no more).</summary>
    internal int? MemoryCacheCount => _cache?.Count;

    /// <inheritdoc />
    /// <remarks>
    /// O(1) under the lock, whatever the store holds: the index, the orders and the <see cref="MemoryCache"/> are
    /// replaced, not emptied (a Hybrid node clears its L1 so at every recovery). The eviction order's old chain is
    /// unchained after, off the lock, in the background past <see cref="BuildChunk"/> entries. Names each entry up to
    /// <see cref="CacheRecorder.OneByOne"/>; past that counts them.
    /// </remarks>
    public ValueTask<CacheClear> ClearAsync(CancellationToken cancellationToken = default)
    {
        IEnumerable<CacheEntry> held;
        int count;
        CacheEntry? chain;
        MemoryCache? values;
        lock (_writeLock)
        {
            _stamps.StampAll();
            chain = _order.Detach();
            _keysByType.Clear();
            _queriesByTable.Clear();
            _byTtl.Clear();
            _bySize.Clear();
            (held, count) = _index.Clear();
            values = _cache;
            _cache = NewMemoryCache();
        }

        values?.Dispose();
        if (count > BuildChunk)
        {
            _ = Task.Run(() => SieveOrder.Release(chain), CancellationToken.None);
        }
        else
        {
            SieveOrder.Release(chain);
        }

        // Past a hundred the entries are counted, not named: a list of a million would be garbage the moment the flush
        // is recorded as one event.
        var named = count <= CacheRecorder.OneByOne ? held.Select(e => new RemovedEntry(e.Key, e.EntityType)).ToList() : [];
        return new ValueTask<CacheClear>(new CacheClear(count, named));
    }

    /// <summary>The cache each value is also handed to, unless <see cref="CacheOptions.ValuesInMemoryCache"/> is off.</summary>
    private MemoryCache? NewMemoryCache() => _options.ValuesInMemoryCache
        ? new MemoryCache(new MemoryCacheOptions
        {
            Clock = _clock,

            // The store expires entries itself (and removes them from the cache); the cache's own scan would only walk them again.
            ExpirationScanFrequency = TimeSpan.FromDays(1),
        })
        : null;

    /// <inheritdoc />
    public ValueTask<IReadOnlyList<CacheEntry>> ListAsync(CancellationToken cancellationToken = default)
    {
        var now = _timeProvider.GetUtcNow();
        return new ValueTask<IReadOnlyList<CacheEntry>>(OnePerKey(_index.Values.Where(e => e.ExpiresAt(_timeProvider) > now)));
    }

    /// <summary>
    /// <paramref name="entries"/> in key order, one per key: the latest linked where a lock-free walk of the index met a
    /// key twice (it was removed and stored again, into a slot the walk had not reached yet, while the walk ran).
    /// </summary>
    internal static IReadOnlyList<CacheEntry> OnePerKey(IEnumerable<CacheEntry> entries)
    {
        List<CacheEntry> sorted = [.. entries.OrderBy(e => e.Key, StringComparer.Ordinal).ThenBy(e => e.LinkSequence)];
        var kept = 0;
        for (var i = 0; i < sorted.Count; i++)
        {
            if (kept > 0 && string.Equals(sorted[kept - 1].Key, sorted[i].Key, StringComparison.Ordinal))
            {
                kept--;
            }

            sorted[kept++] = sorted[i];
        }

        sorted.RemoveRange(kept, sorted.Count - kept);
        return sorted;
    }

    /// <inheritdoc />
    public ValueTask<CacheEntry?> PeekAsync(string key, CancellationToken cancellationToken = default) =>
        new(_index.TryGetValue(key, out var entry) && entry.ExpiresAt(_timeProvider) > _timeProvider.GetUtcNow() ? entry : null);

    /// <inheritdoc />
    /// <remarks>Keys in ordinal order from the sorted indexes by type (merged when listing all types): O(types · log n + page) without a text filter.</remarks>
    public ValueTask<CachePage> ListPageAsync(CacheListQuery query, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(query);
        ArgumentOutOfRangeException.ThrowIfLessThan(query.Limit, 1);
        switch (query.Order)
        {
            case CacheOrder.Newest or CacheOrder.Oldest:
                return new ValueTask<CachePage>(ListByAge(query));
            case CacheOrder.Ttl or CacheOrder.Size:
                return ListByIndexAsync(KeptOnDemand(query.Order)!, query, cancellationToken);
            case CacheOrder.Key:
                break;
            default:
                throw new NotSupportedException($"The memory store has no order '{query.Order}'.");
        }

        string? after = null;
        if (query.Cursor is { } cursor)
        {
            after = cursor.Length > 0 && cursor[0] == CursorMark
                ? cursor[1..]
                : throw new ArgumentException("The cursor was not made by the memory store.", nameof(query));
        }

        var now = _timeProvider.GetUtcNow();
        List<CacheEntry> page = [];
        string? next = null;
        lock (_writeLock)
        {
            var scanned = 0;
            string? lastSeen = null;
            foreach (var key in KeysAfter(after, query.EntityType))
            {
                if (page.Count == query.Limit || ++scanned > ScanBudget)
                {
                    next = CursorMark + lastSeen;
                    break;
                }

                lastSeen = key;
                if ((query.Text is null || key.Contains(query.Text, StringComparison.OrdinalIgnoreCase))
                    && _index.TryGetValue(key, out var entry) && entry.ExpiresAt(_timeProvider) > now)
                {
                    page.Add(entry);
                }
            }
        }

        return new ValueTask<CachePage>(new CachePage(page, next));
    }

    /// <summary>
    /// Under the write lock: the keys after <paramref name="after"/> (all, when null) in ordinal order, of one entity type
    /// or of all. There is no index of all keys (it would cost every entry a tree node): the per-type indexes, each
    /// sorted, are merged as they are walked, O(types · log n) to start and O(log types) a key.
    /// </summary>
    private IEnumerable<string> KeysAfter(string? after, string? entityType)
    {
        if (entityType is not null)
        {
            return _keysByType.TryGetValue(entityType, out var set) ? After(set) : [];
        }

        return _keysByType.Count switch
        {
            0 => [],
            1 => After(_keysByType.Values.First()),
            _ => Merge(),
        };

        IEnumerable<string> After(SortedKeys set) => set.After(after);

        IEnumerable<string> Merge()
        {
            var heads = new PriorityQueue<IEnumerator<string>, string>(_keysByType.Count, StringComparer.Ordinal);
            try
            {
                foreach (var set in _keysByType.Values)
                {
                    var keys = After(set).GetEnumerator();
                    if (keys.MoveNext())
                    {
                        heads.Enqueue(keys, keys.Current);
                    }
                    else
                    {
                        keys.Dispose();
                    }
                }

                while (heads.TryDequeue(out var keys, out var key))
                {
                    yield return key;
                    if (keys.MoveNext())
                    {
                        heads.Enqueue(keys, keys.Current);
                    }
                    else
                    {
                        keys.Dispose();
                    }
                }
            }
            finally
            {
                while (heads.TryDequeue(out var keys, out _))
                {
                    keys.Dispose();
                }
            }
        }
    }

    /// <summary>
    /// A page by age, walking the eviction order's list (insertion order) from the newest or the oldest end: O(page)
    /// with no index of its own. The cursor names the last entry and its link sequence; when that entry has left, the
    /// walk skips from the end past every entry on the far side of it, within the scan budget (a short page then says
    /// where to go on, as a text filter's does).
    /// </summary>
    private CachePage ListByAge(CacheListQuery query)
    {
        var newestFirst = query.Order == CacheOrder.Newest;
        long? after = null;
        string? afterKey = null;
        if (query.Cursor is { } cursor)
        {
            var colon = cursor.IndexOf(':', StringComparison.Ordinal);
            if (cursor.Length < 3 || cursor[0] != AgeCursorMark || colon < 2
                || !long.TryParse(cursor.AsSpan(1, colon - 1), System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var sequence))
            {
                throw new ArgumentException("The cursor was not made by the memory store's listing by age.", nameof(query));
            }

            after = sequence;
            afterKey = cursor[(colon + 1)..];
        }

        var now = _timeProvider.GetUtcNow();
        List<CacheEntry> page = [];
        lock (_writeLock)
        {
            CacheEntry? entry;
            if (after is null)
            {
                entry = newestFirst ? _order.Newest : _order.Oldest;
            }
            else if (_index.TryGetValue(afterKey!, out var anchor) && anchor.Linked && anchor.LinkSequence == after)
            {
                entry = newestFirst ? anchor.Older : anchor.Newer;
            }
            else
            {
                entry = newestFirst ? _order.Newest : _order.Oldest;
            }

            var scanned = 0;
            CacheEntry? last = null;
            while (entry is not null)
            {
                if (page.Count == query.Limit || ++scanned > ScanBudget)
                {
                    return new CachePage(page, AgeCursor(last ?? entry));
                }

                last = entry;
                var beyond = after is { } seen && (newestFirst ? entry.LinkSequence >= seen : entry.LinkSequence <= seen);
                if (!beyond && Lists(entry, query, now))
                {
                    page.Add(entry);
                }

                entry = newestFirst ? entry.Older : entry.Newer;
            }
        }

        return new CachePage(page, null);
    }

    /// <summary>
    /// A page by TTL or by size, from an order kept on demand: the first listing that asks for it waits for its build
    /// (in chunks, in the background, never holding the write lock for long); later ones page it in O(log n + page).
    /// The cursor names the last entry's place in the order (its expiry or size, and its link sequence), so a page
    /// goes on from there even when that entry has left.
    /// </summary>
    private async ValueTask<CachePage> ListByIndexAsync(EntryOrderIndex index, CacheListQuery query, CancellationToken cancellationToken)
    {
        var after = query.Cursor is { } cursor ? ParseIndexCursor(index.Order, cursor) : null;
        Task ready;
        lock (_writeLock)
        {
            ready = index.Use(_timeProvider.GetTimestamp(), generation => Task.Run(() => Build(index, generation), CancellationToken.None));
        }

        await ready.WaitAsync(cancellationToken).ConfigureAwait(false);
        if (index.Measures)
        {
            MeasureQueued(index);
        }

        var now = _timeProvider.GetUtcNow();
        List<CacheEntry> page = [];
        lock (_writeLock)
        {
            var set = index.Set;
            if (index.Order == CacheOrder.Ttl)
            {
                // Nothing that expires by now is live: start there, past what the sweep has not removed yet.
                var live = CacheEntry.Probe(now, 0, long.MaxValue);
                if (after is null || set.Comparer.Compare(after, live) < 0)
                {
                    after = live;
                }
            }

            if (query.EntityType is { } type && _keysByType.TryGetValue(type, out var keysOfType)
                && keysOfType.Count <= ScanBudget && keysOfType.Count < set.Count / 4)
            {
                return PageOfType(index, keysOfType, query, after, now);
            }

            if (set.Count == 0 || (after is not null && set.Comparer.Compare(after, set.Max!) >= 0))
            {
                return new CachePage([], null);
            }

            var scanned = 0;
            CacheEntry? lastSeen = null;
            foreach (var entry in after is null ? set : set.GetViewBetween(after, set.Max!))
            {
                if (after is not null && set.Comparer.Compare(entry, after) == 0)
                {
                    continue;
                }

                if (page.Count == query.Limit || ++scanned > ScanBudget)
                {
                    return new CachePage(page, IndexCursor(index.Order, lastSeen ?? entry));
                }

                lastSeen = entry;
                if (Lists(entry, query, now))
                {
                    page.Add(entry);
                }
            }
        }

        return new CachePage(page, null);
    }

    /// <summary>
    /// Under the write lock: a page of one entity type that is a small part of the store, in the order of
    /// <paramref name="index"/>, sorted here from the type's own keys (at most the scan budget of them) rather than
    /// found by scanning the whole order for them. By size, only the entries the order has filed (measured) count.
    /// </summary>
    private CachePage PageOfType(EntryOrderIndex index, SortedKeys keysOfType, CacheListQuery query, CacheEntry? after, DateTimeOffset now)
    {
        var order = index.Set.Comparer;
        List<CacheEntry> candidates = new(keysOfType.Count);
        foreach (var key in keysOfType)
        {
            if (_index.TryGetValue(key, out var entry)
                && (!index.Measures || entry.SizeMeasured)
                && (after is null || order.Compare(entry, after) > 0)
                && Lists(entry, query, now))
            {
                candidates.Add(entry);
            }
        }

        candidates.Sort(order);
        return candidates.Count > query.Limit
            ? new CachePage(candidates[..query.Limit], IndexCursor(index.Order, candidates[query.Limit - 1]))
            : new CachePage(candidates, null);
    }

    /// <summary>
    /// Files every entry held when the order started being kept, a chunk of keys per hold of the write lock. A build
    /// that fails stops keeping the order, so the next listing builds it again rather than failing for good.
    /// </summary>
    private void Build(EntryOrderIndex index, int generation)
    {
        try
        {
            BuildChunks(index, generation);
        }
        catch
        {
            lock (_writeLock)
            {
                index.Abandon(generation);
            }

            throw;
        }
    }

    private void BuildChunks(EntryOrderIndex index, int generation)
    {
        string? after = null;
        while (true)
        {
            List<CacheEntry> chunk = new(Math.Min(BuildChunk, _index.Count + 1));
            lock (_writeLock)
            {
                if (!index.Active || index.Generation != generation)
                {
                    return;
                }

                foreach (var key in KeysAfter(after, null))
                {
                    if (chunk.Count == BuildChunk)
                    {
                        break;
                    }

                    if (_index.TryGetValue(key, out var entry))
                    {
                        chunk.Add(entry);
                    }

                    after = key;
                }

                if (!index.Measures)
                {
                    index.File(chunk, generation);
                }
            }

            if (index.Measures)
            {
                // Measured off the lock: writing an entry's JSON once is the costly part of the size order. An entry
                // that left meanwhile is not worth writing (filing skips it anyway).
                foreach (var entry in chunk)
                {
                    if (entry.Linked)
                    {
                        _ = entry.SizeBytes;
                    }
                }

                lock (_writeLock)
                {
                    index.File(chunk, generation);
                }
            }

            if (chunk.Count < BuildChunk)
            {
                if (index.Measures)
                {
                    MeasureQueued(index);
                }

                return;
            }
        }
    }

    /// <summary>Measures the entries populated since the size order last filed, off the lock, and files them.</summary>
    private void MeasureQueued(EntryOrderIndex index)
    {
        List<CacheEntry> queued;
        int generation;
        lock (_writeLock)
        {
            if (index.QueuedCount == 0)
            {
                return;
            }

            queued = index.TakeQueued();
            generation = index.Generation;
        }

        foreach (var entry in queued)
        {
            if (entry.Linked)
            {
                _ = entry.SizeBytes;
            }
        }

        lock (_writeLock)
        {
            index.File(queued, generation);
        }
    }

    private static CacheEntry ParseIndexCursor(CacheOrder order, string cursor)
    {
        var mark = order == CacheOrder.Ttl ? TtlCursorMark : SizeCursorMark;
        var colon = cursor.IndexOf(':', StringComparison.Ordinal);
        var culture = System.Globalization.CultureInfo.InvariantCulture;
        if (cursor.Length < 4 || cursor[0] != mark || colon < 2
            || !long.TryParse(cursor.AsSpan(1, colon - 1), System.Globalization.NumberStyles.None, culture, out var place)
            || !long.TryParse(cursor.AsSpan(colon + 1), System.Globalization.NumberStyles.None, culture, out var sequence)
            || (order == CacheOrder.Ttl ? place > DateTimeOffset.MaxValue.UtcTicks : place > int.MaxValue))
        {
            throw new ArgumentException($"The cursor was not made by the memory store's listing by {order.ToString().ToLowerInvariant()}.", nameof(cursor));
        }

        return order == CacheOrder.Ttl
            ? CacheEntry.Probe(new DateTimeOffset(place, TimeSpan.Zero), 0, sequence)
            : CacheEntry.Probe(DateTimeOffset.MinValue, (int)place, sequence);
    }

    private static string IndexCursor(CacheOrder order, CacheEntry entry) => order == CacheOrder.Ttl
        ? string.Create(System.Globalization.CultureInfo.InvariantCulture, $"{TtlCursorMark}{entry.AbsoluteExpiration.UtcTicks}:{entry.LinkSequence}")
        : string.Create(System.Globalization.CultureInfo.InvariantCulture, $"{SizeCursorMark}{entry.SizeBytes}:{entry.LinkSequence}");

    /// <summary>Whether a walk of an order lists <paramref name="entry"/>: of the query's type, with its text, live at <paramref name="now"/>.</summary>
    private bool Lists(CacheEntry entry, CacheListQuery query, DateTimeOffset now) =>
        (query.EntityType is null || entry.EntityType == query.EntityType)
        && (query.Text is null || entry.Key.Contains(query.Text, StringComparison.OrdinalIgnoreCase))
        && entry.ExpiresAt(_timeProvider) > now;

    private static string AgeCursor(CacheEntry entry) =>
        string.Create(System.Globalization.CultureInfo.InvariantCulture, $"{AgeCursorMark}{entry.LinkSequence}:{entry.Key}");

    /// <summary>How many keys of each entity type the store holds, from the index by type (O(types)).</summary>
    public IReadOnlyDictionary<string, int> CountByType()
    {
        lock (_writeLock)
        {
            return _keysByType.ToDictionary(t => t.Key, t => t.Value.Count, StringComparer.Ordinal);
        }
    }

    /// <inheritdoc />
    public ValueTask<CacheNamespaceCounts?> CountNamespacesAsync(CancellationToken cancellationToken = default) =>
        new(new CacheNamespaceCounts(CountByType(), CountQueriesByTable()));

    /// <summary>How many cached query results read each table, kept as entries come and go (O(tables)).</summary>
    public IReadOnlyDictionary<string, int> CountQueriesByTable()
    {
        lock (_writeLock)
        {
            return new Dictionary<string, int>(_queriesByTable, StringComparer.Ordinal);
        }
    }

    /// <summary>The keys held of <paramref name="entityType"/>, from the index by type: what a bulk write of that table touches.</summary>
    public ValueTask<IReadOnlyList<string>> KeysOfTypeAsync(string entityType, CancellationToken cancellationToken = default)
    {
        lock (_writeLock)
        {
            IReadOnlyList<string> keys = _keysByType.TryGetValue(entityType, out var set) ? [.. set] : [];
            return new ValueTask<IReadOnlyList<string>>(keys);
        }
    }

    /// <summary>
    /// Removes entries whose TTL ran out, rather than at their next read; each raises EXPIRE. The scan walks the
    /// eviction order from the oldest entry, a tenth of the store per call (at least 32,768 entries), a chunk per hold
    /// of the write lock, going on from where the last call stopped (a scan already running is not started twice). Also files the entries the size order has queued, and drops an order kept on demand that no listing
    /// asked for lately.
    /// </summary>
    public void ScanForExpired()
    {
        if (Interlocked.Exchange(ref _scanning, 1) == 1)
        {
            return;
        }

        try
        {
            ExpireSome();
        }
        finally
        {
            Volatile.Write(ref _scanning, 0);
        }

        bool measure;
        lock (_writeLock)
        {
            _byTtl.DropIfIdle(_timeProvider);
            _bySize.DropIfIdle(_timeProvider);
            measure = _bySize.QueuedCount > 0;
        }

        if (measure)
        {
            MeasureQueued(_bySize);
        }
    }

    /// <inheritdoc />
    public void Dispose()
    {
        _expirationScan.Dispose();
        lock (_writeLock)
        {
            _cache?.Dispose();
            _cache = null;
        }
    }

    /// <summary>Makes room for one entry: SIEVE's choice leaves the index and the cache; the caller records its EVICT.</summary>
    private CacheEntry? EvictOne()
    {
        if (_order.ChooseVictim() is not { } victim)
        {
            return null;
        }

        Unlink(victim);
        _index.TryRemove(victim);
        _cache?.Remove(victim.Key);
        return victim;
    }

    /// <summary>
    /// One tick of the expiry scan: a tenth of the store (at least <see cref="ExpiryScanBudget"/> entries), from where
    /// the last tick stopped, a chunk per hold of the lock; a pass that reaches the newest entry starts again at the
    /// oldest on the next tick. A store of up to that budget is scanned whole every tick; a million keys, over ten.
    /// </summary>
    private void ExpireSome()
    {
        var now = _timeProvider.GetUtcNow();
        var budget = Math.Max(ExpiryScanBudget, _index.Count / 10);
        while (budget > 0)
        {
            List<CacheEntry>? expired = null;
            CacheEntry? entry;
            lock (_writeLock)
            {
                entry = _order.ScanHand ?? _order.Oldest;
                for (var looked = 0; entry is not null && looked < ExpiryScanChunk && budget > 0; looked++, budget--)
                {
                    var next = entry.Newer;
                    if (entry.ExpiresAt(_timeProvider) <= now && RemoveExpired(entry))
                    {
                        (expired ??= []).Add(entry);
                    }

                    entry = next;
                }

                _order.ScanHand = entry;
            }

            foreach (var gone in expired ?? [])
            {
                RecordExpire(gone);
            }

            if (entry is null)
            {
                return;
            }
        }
    }

    /// <summary>Removes <paramref name="key"/>'s entry from the index, the eviction order and the cache (under the write lock); true when one was held.</summary>
    private bool RemoveKey(string key)
    {
        var held = _index.TryRemove(key, out var removed);
        if (held)
        {
            Unlink(removed!);
        }

        _cache?.Remove(key);
        return held;
    }

    /// <summary>Under the write lock: removes <paramref name="entry"/>, expired, when it is still the one held under its key.</summary>
    private bool RemoveExpired(CacheEntry entry)
    {
        if (!_index.TryRemove(entry))
        {
            return false;
        }

        Unlink(entry);
        _cache?.Remove(entry.Key);
        return true;
    }

    private void RecordExpire(CacheEntry entry) =>
        _recorder.Record(CacheEventKind.Expire, entry.Key, entry.EntityType, detail: ExpiryReason(entry), source: "store");

    private void Link(CacheEntry entry)
    {
        entry.LinkSequence = ++_linkSequence;
        _order.Add(entry);
        _byTtl.Added(entry);
        _bySize.Added(entry);
        if (!_keysByType.TryGetValue(entry.EntityType, out var keys))
        {
            _keysByType[entry.EntityType] = keys = new SortedKeys();
        }

        keys.Add(entry.Key);
        if (entry.EntityType == Queries.QueryKeys.EntityType)
        {
            foreach (var table in Queries.QueryKeys.TablesOf(entry.Key))
            {
                _queriesByTable[table] = _queriesByTable.GetValueOrDefault(table) + 1;
            }
        }
    }

    private void Unlink(CacheEntry entry)
    {
        if (!entry.Linked)
        {
            return;
        }

        _order.Remove(entry);
        _byTtl.Removed(entry);
        _bySize.Removed(entry);
        if (_keysByType.TryGetValue(entry.EntityType, out var keys) && keys.Remove(entry.Key) && keys.Count == 0)
        {
            _keysByType.Remove(entry.EntityType);
        }

        if (entry.EntityType == Queries.QueryKeys.EntityType)
        {
            foreach (var table in Queries.QueryKeys.TablesOf(entry.Key))
            {
                if (_queriesByTable.TryGetValue(table, out var count) && count > 1)
                {
                    _queriesByTable[table] = count - 1;
                }
                else
                {
                    _queriesByTable.Remove(table);
                }
            }
        }
    }

    private string ExpiryReason(CacheEntry entry)
    {
        var now = _timeProvider.GetUtcNow();
        return entry.SlidingExpiration is { } sliding && now < entry.AbsoluteExpiration
            ? $"sliding TTL of {sliding} passed without a read"
            : $"absolute TTL reached at {entry.AbsoluteExpiration:O}";
    }
}
