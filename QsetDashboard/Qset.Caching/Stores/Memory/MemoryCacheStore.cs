using System.Collections.Concurrent;
using Microsoft.Extensions.Caching.Memory;
using Microsoft.Extensions.Options;

namespace Qset.Caching;

/// <summary>
/// The default store, in process and bounded to <see cref="CacheOptions.Capacity"/> entries. A hit reads a lock-free
/// index and sets the entry's visited bit, writing nothing shared; a new key past capacity evicts the entry
/// <see cref="SieveOrder"/> picks, in O(1). Browsing, the orders kept on demand and TTL expiry are in the partial files
/// beside this one.
/// </summary>
internal sealed partial class MemoryCacheStore : SynchronousStore, ICacheStore, ICacheBrowser, IDisposable
{
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
    public ValueTask<CacheEntry?> GetAsync(string key, CancellationToken cancellationToken = default) =>
        new(GetLive(key, out _));

    /// <summary>
    /// <see cref="GetAsync"/>, synchronously, also giving the time it checked the TTL against (UTC ticks of the store's
    /// time provider; 0 when the key is absent), so the engine's hit reads the clock once.
    /// </summary>
    public override CacheEntry? GetLive(string key, out long nowUtcTicks)
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
    public ValueTask<bool> InvalidateAsync(string key, CancellationToken cancellationToken = default) => new(Invalidate(key));

    /// <summary><see cref="InvalidateAsync"/>, synchronously: the memory store never waits.</summary>
    public bool Invalidate(string key)
    {
        lock (_writeLock)
        {
            _stamps.Stamp(key);
            return RemoveKey(key);
        }
    }

    /// <inheritdoc />
    /// <remarks>
    /// As <see cref="InvalidateAsync"/> of each key of the type, a chunk of keys per hold of the write lock: a million
    /// keys take a few hundred short holds, not a million, and readers and writers of other keys go on in between.
    /// </remarks>
    public ValueTask<IReadOnlyList<string>> InvalidateTypeAsync(string entityType, CancellationToken cancellationToken = default) => new(InvalidateType(entityType));

    /// <summary><see cref="InvalidateTypeAsync"/>, synchronously: the memory store never waits.</summary>
    public IReadOnlyList<string> InvalidateType(string entityType)
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

        return dropped;
    }

    /// <summary>How many values <see cref="MemoryCache"/> holds, null without one: what the index holds, never more.</summary>
    internal int? MemoryCacheCount => _cache?.Count;

    /// <inheritdoc />
    /// <remarks>
    /// O(1) under the lock, whatever the store holds: the index, the orders and the <see cref="MemoryCache"/> are
    /// replaced, not emptied (a Hybrid node clears its L1 so at every recovery). The eviction order's old chain is
    /// unchained after, off the lock, in the background past <see cref="BuildChunk"/> entries. Names each entry up to
    /// <see cref="CacheRecorder.OneByOne"/>; past that counts them.
    /// </remarks>
    public ValueTask<CacheClear> ClearAsync(CancellationToken cancellationToken = default) => new(Clear());

    /// <summary><see cref="ClearAsync"/>, synchronously: the memory store never waits.</summary>
    public CacheClear Clear()
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
        return new CacheClear(count, named);
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

    /// <summary>The keys held of <paramref name="entityType"/>, from the index by type: what a bulk write of that table touches.</summary>
    public ValueTask<IReadOnlyList<string>> KeysOfTypeAsync(string entityType, CancellationToken cancellationToken = default)
    {
        lock (_writeLock)
        {
            IReadOnlyList<string> keys = _keysByType.TryGetValue(entityType, out var set) ? [.. set] : [];
            return new ValueTask<IReadOnlyList<string>>(keys);
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
}
