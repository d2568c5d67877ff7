namespace Qset.Caching;

/// <summary>
/// The memory store's orders kept on demand (by TTL, by size): built a chunk per hold of the lock when a page first asks
/// for one, kept while pages use it, dropped when idle.
/// </summary>
internal sealed partial class MemoryCacheStore
{
    // An order kept on demand is built this many keys per hold of the write lock.
    private const int BuildChunk = 4_096;

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
}
