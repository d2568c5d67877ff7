namespace Qset.Caching;

/// <summary>The memory store, as the dashboard browses it: counts from its indexes, pages by key and by age, a peek.</summary>
internal sealed partial class MemoryCacheStore
{
    private const char CursorMark = 'm';
    private const char AgeCursorMark = 'a';
    private const char TtlCursorMark = 't';
    private const char SizeCursorMark = 's';

    // With a text filter a page may need to pass over many keys: at most this many per page, then it returns a cursor.
    private const int ScanBudget = 20_000;

    /// <inheritdoc />
    /// <remarks>By TTL and by size, an order is built when first asked for and kept while it is used.</remarks>
    public IReadOnlyList<CacheOrder> Orders { get; } = [CacheOrder.Key, CacheOrder.Newest, CacheOrder.Oldest, CacheOrder.Ttl, CacheOrder.Size];

    /// <inheritdoc />
    public ValueTask<int> CountAsync(CancellationToken cancellationToken = default) => new(Count);

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
    public ValueTask<CacheEntry?> PeekAsync(string key, CancellationToken cancellationToken = default) => new(Peek(key));

    /// <summary>The live entry under <paramref name="key"/>, or null, with no side effect (see <see cref="PeekAsync"/>).</summary>
    public CacheEntry? Peek(string key) =>
        _index.TryGetValue(key, out var entry) && entry.ExpiresAt(_timeProvider) > _timeProvider.GetUtcNow() ? entry : null;

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
}
