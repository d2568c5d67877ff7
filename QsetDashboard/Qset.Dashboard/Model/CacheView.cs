using Qset.Caching;

namespace Qset.Dashboard.Model;

/// <summary>
/// The dashboard's one view of the cache: every page and the cache API read and act through it, never through the
/// store. Each call costs what one page costs: a page of keys, a peek with no side effects (no recency touch, no
/// sliding expiration, no copy into an L1), counts the store keeps, and the nodes asked on demand.
/// </summary>
public sealed class CacheView
{
    private readonly QsetCache _cache;
    private readonly ICacheBrowser _browser;
    private readonly ICacheNodes _nodes;

    internal CacheView(QsetCache cache, ICacheBrowser browser, ICacheNodes nodes)
    {
        _cache = cache;
        _browser = browser;
        _nodes = nodes;
    }

    /// <summary>What a change made by hand from the dashboard says in its event.</summary>
    public const string ByHand = "invalidated by hand";

    /// <summary>The store's name: Memory, Redis or Hybrid.</summary>
    public string Backend => _cache.Store.Name;

    /// <summary>How many entries the store holds (kept by the store, not counted per call).</summary>
    public int Count => _cache.Store.Count;

    /// <summary>How many entries the store holds, asked now: exact on every backend, never a listing.</summary>
    public ValueTask<int> CountAsync(CancellationToken cancellationToken = default) => _browser.CountAsync(cancellationToken);

    /// <summary>The counters, with the store's size asked now (on Hybrid: the shared count, as the Cache page lists it).</summary>
    public async Task<CacheStats> StatsAsync(CancellationToken cancellationToken = default)
    {
        var entries = await _browser.CountAsync(cancellationToken).ConfigureAwait(false);
        return _cache.GetStats() with { Entries = entries };
    }

    /// <summary>An open page shows <paramref name="order"/> without listing again: the memory store keeps that order for it.</summary>
    public void KeepOrder(CacheOrder order) => _browser.KeepOrder(order);

    /// <summary>The orders the store lists its keys in (by key always; by age, TTL and size where it keeps them).</summary>
    public IReadOnlyList<CacheOrder> Orders => _browser.Orders;

    /// <summary>How many entries the store may hold.</summary>
    public int Capacity => _cache.Store.Capacity;

    /// <summary>The clock TTLs are read from.</summary>
    public TimeProvider TimeProvider => _cache.TimeProvider;

    /// <summary>The counters and the store's size.</summary>
    public CacheStats Stats() => _cache.GetStats();

    /// <summary>
    /// The key namespaces: each entity type with its count and, under <c>Query</c>, each table that cached query results
    /// read, with theirs. Kept by the store as entries come and go (O(types + tables)); null where the store keeps no index.
    /// </summary>
    internal async Task<IReadOnlyList<CacheNamespace>?> NamespacesAsync(CancellationToken cancellationToken = default)
    {
        if (await _browser.CountNamespacesAsync(cancellationToken).ConfigureAwait(false) is not { } counts)
        {
            return null;
        }

        return
        [
            .. counts.ByType.OrderBy(t => t.Key, StringComparer.Ordinal).Select(t => new CacheNamespace(
                t.Key,
                t.Value,
                t.Key == Qset.Caching.Queries.QueryKeys.EntityType
                    ? [.. counts.QueriesByTable.OrderBy(q => q.Key, StringComparer.Ordinal).Select(q => new CacheNamespace(q.Key, q.Value, []))]
                    : [])),
        ];
    }

    /// <summary>
    /// The largest keys and the spread of TTLs among at most <paramref name="size"/> entries (the first of the listing):
    /// a bounded sample, so its cost does not grow with the store. <see cref="CacheSample.Complete"/> says when it is all of it.
    /// </summary>
    internal async Task<CacheSample> SampleAsync(int size, int largest = 10, CancellationToken cancellationToken = default)
    {
        var page = await _browser.ListPageAsync(new CacheListQuery(size), cancellationToken).ConfigureAwait(false);
        var now = _cache.TimeProvider.GetUtcNow();
        var buckets = new int[TtlBucket.Bounds.Length + 1];
        foreach (var entry in page.Entries)
        {
            var left = entry.ExpiresAt(_cache.TimeProvider) - now;
            var bucket = Array.FindIndex(TtlBucket.Bounds, bound => left < bound);
            buckets[bucket < 0 ? TtlBucket.Bounds.Length : bucket]++;
        }

        return new CacheSample(
            page.Entries.Count,
            page.NextCursor is null,
            [.. page.Entries.OrderByDescending(e => e.SizeBytes).ThenBy(e => e.Key, StringComparer.Ordinal).Take(largest).Select(e => new SizedKey(e.Key, e.SizeBytes))],
            [.. buckets.Select((count, i) => new TtlBucket(TtlBucket.LabelOf(i), count))]);
    }

    /// <summary>One page of the store's listing.</summary>
    public ValueTask<CachePage> PageAsync(CacheListQuery query, CancellationToken cancellationToken = default) =>
        _browser.ListPageAsync(query, cancellationToken);

    /// <summary>
    /// Up to <paramref name="query"/>'s limit of entries, following the cursor while a filter leaves a store's page short
    /// (each store call scans a bounded stretch of keys), in at most <paramref name="maxCalls"/> short calls.
    /// </summary>
    public async Task<CachePage> FillPageAsync(CacheListQuery query, int maxCalls, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(query);
        List<CacheEntry> entries = [];
        var cursor = query.Cursor;
        for (var call = 0; call < maxCalls; call++)
        {
            var page = await _browser.ListPageAsync(query with { Limit = query.Limit - entries.Count, Cursor = cursor }, cancellationToken).ConfigureAwait(false);
            entries.AddRange(page.Entries);
            cursor = page.NextCursor;
            if (cursor is null || entries.Count >= query.Limit)
            {
                break;
            }
        }

        return new CachePage(entries, cursor);
    }

    /// <summary>The entry under <paramref name="key"/>, read without side effects; null when none.</summary>
    public ValueTask<CacheEntry?> PeekAsync(string key, CancellationToken cancellationToken = default) =>
        _browser.PeekAsync(key, cancellationToken);

    /// <summary>Removes <paramref name="key"/> as INVALIDATE from <paramref name="source"/>; false when the cache does not hold it.</summary>
    public async Task<bool> InvalidateAsync(string key, string source, CancellationToken cancellationToken = default)
    {
        if (await _browser.PeekAsync(key, cancellationToken).ConfigureAwait(false) is not { } held)
        {
            return false;
        }

        using (CacheContext.Use(source))
        {
            await _cache.InvalidateAsync(key, held.EntityType, ByHand, cancellationToken).ConfigureAwait(false);
        }

        return true;
    }

    /// <summary>Removes every entry, each recorded as INVALIDATE from <paramref name="source"/>; how many were removed.</summary>
    public async Task<int> FlushAsync(string source, CancellationToken cancellationToken = default)
    {
        using (CacheContext.Use(source))
        {
            return await _cache.FlushAsync(cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>The nodes sharing the cache, with their key counts.</summary>
    public Task<IReadOnlyList<CacheNode>> NodesAsync(CancellationToken cancellationToken = default) => _nodes.GetNodesAsync(cancellationToken);

    /// <summary>The nodes that hold <paramref name="key"/>, asked now.</summary>
    public Task<IReadOnlyList<string>> HoldersAsync(string key, CancellationToken cancellationToken = default) => _nodes.HoldersAsync(key, cancellationToken);
}

/// <summary>A namespace of keys: an entity type, or a table read by cached queries, and how many keys it holds.</summary>
internal sealed record CacheNamespace(string Name, int Count, IReadOnlyList<CacheNamespace> Children);

/// <summary>A key and the bytes of its value.</summary>
internal sealed record SizedKey(string Key, int SizeBytes);

/// <summary>How many sampled entries expire within a span.</summary>
internal sealed record TtlBucket(string Label, int Count)
{
    /// <summary>The upper bounds of the buckets; a last bucket holds the rest.</summary>
    internal static readonly TimeSpan[] Bounds = [TimeSpan.FromSeconds(10), TimeSpan.FromMinutes(1), TimeSpan.FromMinutes(5), TimeSpan.FromHours(1)];

    internal static string LabelOf(int index) => index switch
    {
        0 => "< 10 s",
        1 => "< 1 min",
        2 => "< 5 min",
        3 => "< 1 h",
        _ => "≥ 1 h",
    };
}

/// <summary>What a bounded sample of the store shows: its size, whether it was the whole store, the largest keys, the TTL spread.</summary>
internal sealed record CacheSample(int Sampled, bool Complete, IReadOnlyList<SizedKey> Largest, IReadOnlyList<TtlBucket> Ttl);
