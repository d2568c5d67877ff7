namespace Qset.Caching;

/// <summary>
/// Looking at what a store holds, for the dashboard and tools: counts, one page at a time, a peek without side
/// effects. Every member costs what one page costs, never the whole store (but <see cref="ListAsync"/>, for tests).
/// </summary>
public interface ICacheBrowser
{
    /// <summary>The orders <see cref="ListPageAsync"/> can follow; any other is refused with <see cref="NotSupportedException"/>.</summary>
    IReadOnlyList<CacheOrder> Orders => [CacheOrder.Key];

    /// <summary>How many entries the store holds, exactly, asked now; never a listing of the store.</summary>
    ValueTask<int> CountAsync(CancellationToken cancellationToken = default);

    /// <summary>
    /// How many entries each entity type has, and how many cached query results read each table, from indexes the store
    /// keeps (never a listing); null for a store that keeps none.
    /// </summary>
    ValueTask<CacheNamespaceCounts?> CountNamespacesAsync(CancellationToken cancellationToken = default) => new((CacheNamespaceCounts?)null);

    /// <summary>
    /// The live entry under <paramref name="key"/>, or null, with no side effect: no recency mark, no sliding-TTL
    /// touch, no copy from one level to another, no event. For looking, not for serving.
    /// </summary>
    ValueTask<CacheEntry?> PeekAsync(string key, CancellationToken cancellationToken = default);

    /// <summary>
    /// One page of the live entries that match <paramref name="query"/>, and the cursor of the next page while more
    /// may follow. The work is bounded by the page (and, with a text filter, by a scan budget), never by the store.
    /// </summary>
    /// <exception cref="ArgumentException">The cursor is not one this store gave.</exception>
    ValueTask<CachePage> ListPageAsync(CacheListQuery query, CancellationToken cancellationToken = default);

    /// <summary>
    /// A snapshot of every live entry, sorted by key. It costs the whole store: for tests and tools, never a request
    /// path; a page of entries is <see cref="ListPageAsync"/>.
    /// </summary>
    ValueTask<IReadOnlyList<CacheEntry>> ListAsync(CancellationToken cancellationToken = default);

    /// <summary>
    /// An open page shows <paramref name="order"/> again and again: a store that builds that order on demand keeps it
    /// up to date from now on. The default keeps nothing.
    /// </summary>
    void KeepOrder(CacheOrder order)
    {
    }
}
