using Qset.Caching;
using Qset.Caching.Redis;

namespace Qset.Dashboard.Model;

/// <summary>
/// The dashboard's one view of the cache: every page and the cache API read and act through it, never through the
/// store. Each call costs what one page costs: a page of keys, a peek with no side effects (no recency touch, no
/// sliding expiration, no copy into an L1), counts the store keeps, and the nodes asked on demand.
/// </summary>
public sealed class CacheView
{
    private readonly QsetCache _cache;
    private readonly NodeDirectory _nodes;

    internal CacheView(QsetCache cache, NodeDirectory nodes)
    {
        _cache = cache;
        _nodes = nodes;
    }

    /// <summary>What a change made by hand from the dashboard says in its event.</summary>
    public const string ByHand = "invalidated by hand";

    /// <summary>The store's name: Memory, Redis or Hybrid.</summary>
    public string Backend => _cache.Store.Name;

    /// <summary>How many entries the store holds (kept by the store, not counted per call).</summary>
    public int Count => _cache.Store.Count;

    /// <summary>How many entries the store may hold.</summary>
    public int Capacity => _cache.Store.Capacity;

    /// <summary>The clock TTLs are read from.</summary>
    public TimeProvider TimeProvider => _cache.TimeProvider;

    /// <summary>The counters and the store's size.</summary>
    public CacheStats Stats() => _cache.GetStats();

    /// <summary>Entries per entity type (and <c>Query</c>), where the store keeps an index by type; null where it does not.</summary>
    public IReadOnlyDictionary<string, int>? CountByType() => _cache.Store is MemoryCacheStore memory ? memory.CountByType() : null;

    /// <summary>One page of the store's listing.</summary>
    public ValueTask<CachePage> PageAsync(CacheListQuery query, CancellationToken cancellationToken = default) =>
        _cache.Store.ListPageAsync(query, cancellationToken);

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
            var page = await _cache.Store.ListPageAsync(query with { Limit = query.Limit - entries.Count, Cursor = cursor }, cancellationToken).ConfigureAwait(false);
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
        _cache.Store.PeekAsync(key, cancellationToken);

    /// <summary>Removes <paramref name="key"/> as INVALIDATE from <paramref name="source"/>; false when the cache does not hold it.</summary>
    public async Task<bool> InvalidateAsync(string key, string source, CancellationToken cancellationToken = default)
    {
        if (await _cache.Store.PeekAsync(key, cancellationToken).ConfigureAwait(false) is not { } held)
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
