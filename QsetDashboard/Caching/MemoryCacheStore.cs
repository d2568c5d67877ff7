using System.Collections.Concurrent;
using Microsoft.Extensions.Caching.Memory;
using Microsoft.Extensions.Options;

namespace QsetDashboard.Caching;

/// <summary>
/// The default store: an <see cref="MemoryCache"/> bounded to <see cref="CacheOptions.Capacity"/> entries.
/// When full, a new key evicts the least recently read entry first, so the store never holds more than its
/// capacity. TTL expiry and eviction reach the journal as EXPIRE and EVICT from the cache's eviction callbacks.
/// </summary>
public sealed class MemoryCacheStore : ICacheStore, IDisposable
{
    private readonly MemoryCache _cache;
    private readonly ConcurrentDictionary<string, CacheEntry> _index = new(StringComparer.Ordinal);
    private readonly InvalidationStamps _stamps;
    private readonly Lock _writeLock = new();
    private readonly CacheRecorder _recorder;
    private readonly TimeProvider _timeProvider;
    private readonly CacheOptions _options;
    private readonly PostEvictionDelegate _onEvicted;
    private readonly ITimer _expirationScan;
    private readonly TimeProviderClock _clock;
    private long _readOrder;

    /// <summary>Creates the store.</summary>
    public MemoryCacheStore(IOptions<CacheOptions> options, CacheRecorder recorder, TimeProvider timeProvider)
    {
        _options = options.Value;
        _recorder = recorder;
        _timeProvider = timeProvider;
        _stamps = new InvalidationStamps(Math.Max(4 * _options.Capacity, 1_024));
        _onEvicted = OnEvicted;
        _cache = new MemoryCache(new MemoryCacheOptions
        {
            Clock = _clock = new TimeProviderClock(timeProvider),
            ExpirationScanFrequency = _options.ExpirationScanInterval,
        });
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
    public ValueTask<CacheEntry?> GetAsync(string key, CancellationToken cancellationToken = default)
    {
        // An entry with an absolute TTL only is read from the index, with the TTL checked here: the same answer as
        // MemoryCache gives, without its bookkeeping. A sliding entry goes through MemoryCache, which slides it;
        // an expired one too, so that MemoryCache removes it and raises EXPIRE.
        if (_index.TryGetValue(key, out var indexed) && indexed.SlidingExpiration is null && _clock.UtcNow < indexed.AbsoluteExpiration)
        {
            indexed.ReadOrder = ++_readOrder;
            return new ValueTask<CacheEntry?>(indexed);
        }

        if (_cache.TryGetValue(key, out var value) && value is CacheEntry entry)
        {
            // Least-recently-used order is a counter, not a clock read (which costs as much as the hit itself);
            // only a sliding entry needs the time of its latest read. The counter is bumped without an atomic:
            // concurrent reads may share a number, which only makes them equally recent.
            entry.ReadOrder = ++_readOrder;
            if (entry.SlidingExpiration is not null)
            {
                entry.Touch(_timeProvider.GetTimestamp());
            }

            return new ValueTask<CacheEntry?>(entry);
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
        lock (_writeLock)
        {
            var invalidatedAt = _stamps.LastInvalidation(entry.Key);
            if (_options.GuardPopulate && ticket.Guarded && invalidatedAt > ticket.Stamp)
            {
                return new ValueTask<PopulateResult>(PopulateResult.Rejected(
                    $"key invalidated (stamp {invalidatedAt}) after this read began (stamp {ticket.Stamp}): the value may be stale"));
            }

            _index.TryGetValue(entry.Key, out var replaced);
            if (replaced is null && _index.Count >= _options.Capacity)
            {
                EvictLeastRecentlyUsed();
            }

            var options = new MemoryCacheEntryOptions { AbsoluteExpiration = entry.AbsoluteExpiration };
            if (entry.SlidingExpiration is { } sliding)
            {
                options.SlidingExpiration = sliding;
            }

            options.RegisterPostEvictionCallback(_onEvicted, entry);
            entry.ReadOrder = Interlocked.Increment(ref _readOrder);
            _index[entry.Key] = entry;
            _cache.Set(entry.Key, entry, options);
            return new ValueTask<PopulateResult>(PopulateResult.StoredOver(
                replaced is not null && replaced.EntityType != entry.EntityType ? replaced.EntityType : null));
        }
    }

    /// <inheritdoc />
    public ValueTask<bool> InvalidateAsync(string key, CancellationToken cancellationToken = default)
    {
        lock (_writeLock)
        {
            _stamps.Stamp(key);
            var held = _index.TryRemove(key, out _);
            _cache.Remove(key);
            return new ValueTask<bool>(held);
        }
    }

    /// <inheritdoc />
    public ValueTask<IReadOnlyList<string>> ClearAsync(CancellationToken cancellationToken = default)
    {
        lock (_writeLock)
        {
            _stamps.StampAll();
            List<string> removed = [];
            foreach (var key in _index.Keys)
            {
                if (_index.TryRemove(key, out _))
                {
                    removed.Add(key);
                }

                _cache.Remove(key);
            }

            return new ValueTask<IReadOnlyList<string>>(removed);
        }
    }

    /// <inheritdoc />
    public ValueTask<IReadOnlyList<CacheEntry>> ListAsync(CancellationToken cancellationToken = default)
    {
        var now = _timeProvider.GetUtcNow();
        IReadOnlyList<CacheEntry> live = [.. _index.Values.Where(e => e.ExpiresAt(_timeProvider) > now).OrderBy(e => e.Key, StringComparer.Ordinal)];
        return new ValueTask<IReadOnlyList<CacheEntry>>(live);
    }

    /// <summary>Removes every entry whose TTL ran out now, rather than at its next read; each raises EXPIRE.</summary>
    public void ScanForExpired() => _cache.Compact(0);

    /// <inheritdoc />
    public void Dispose()
    {
        _expirationScan.Dispose();
        _cache.Dispose();
    }

    private void EvictLeastRecentlyUsed()
    {
        // A scan, not a linked list: reads stay lock-free and allocation-free, and a full store is rare next to a read.
        CacheEntry? victim = null;
        foreach (var candidate in _index.Values)
        {
            if (victim is null || candidate.ReadOrder < victim.ReadOrder)
            {
                victim = candidate;
            }
        }

        if (victim is null)
        {
            return;
        }

        victim.EvictedForCapacity = true;
        _index.TryRemove(victim.Key, out _);
        _cache.Remove(victim.Key);
    }

    private void OnEvicted(object key, object? value, EvictionReason reason, object? state)
    {
        if (state is not CacheEntry entry)
        {
            return;
        }

        switch (reason)
        {
            case EvictionReason.Expired or EvictionReason.TokenExpired:
                _index.TryRemove(new KeyValuePair<string, CacheEntry>(entry.Key, entry));
                _recorder.Record(CacheEventKind.Expire, entry.Key, entry.EntityType, detail: ExpiryReason(entry), source: "store");
                break;
            case EvictionReason.Removed when entry.EvictedForCapacity:
            case EvictionReason.Capacity:
                _index.TryRemove(new KeyValuePair<string, CacheEntry>(entry.Key, entry));
                _recorder.Record(CacheEventKind.Evict, entry.Key, entry.EntityType,
                    detail: $"capacity of {_options.Capacity} entries reached; least recently read entry evicted", source: "store");
                break;
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
