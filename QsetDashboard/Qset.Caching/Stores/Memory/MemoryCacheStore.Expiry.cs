namespace Qset.Caching;

/// <summary>The memory store's TTL expiry: a read of an expired entry, or the scan of a tenth of the store a tick, removes it with EXPIRE.</summary>
internal sealed partial class MemoryCacheStore
{
    // The expiry scan looks at this many entries per hold of the write lock, and at least this many per tick.
    private const int ExpiryScanChunk = 8_192;
    private const int ExpiryScanBudget = 4 * ExpiryScanChunk;

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

    private string ExpiryReason(CacheEntry entry)
    {
        var now = _timeProvider.GetUtcNow();
        return entry.SlidingExpiration is { } sliding && now < entry.AbsoluteExpiration
            ? $"sliding TTL of {sliding} passed without a read"
            : $"absolute TTL reached at {entry.AbsoluteExpiration:O}";
    }
}
