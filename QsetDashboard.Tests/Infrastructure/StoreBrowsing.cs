using Qset.Caching;

namespace QsetDashboard.Tests.Infrastructure;

/// <summary>
/// Tests look at a store through its browser, as the dashboard does: every store the engine ships is its own
/// <see cref="ICacheBrowser"/>, so a test holding the store reads it without asking the container again.
/// </summary>
public static class StoreBrowsing
{
    public static ICacheBrowser Browser(this ICacheStore store) =>
        store as ICacheBrowser ?? throw new InvalidOperationException($"{store.GetType().Name} is not a browser of itself");

    public static ValueTask<CacheEntry?> PeekAsync(this ICacheStore store, string key, CancellationToken cancellationToken = default) =>
        store.Browser().PeekAsync(key, cancellationToken);

    public static ValueTask<IReadOnlyList<CacheEntry>> ListAsync(this ICacheStore store, CancellationToken cancellationToken = default) =>
        store.Browser().ListAsync(cancellationToken);

    public static ValueTask<CachePage> ListPageAsync(this ICacheStore store, CacheListQuery query, CancellationToken cancellationToken = default) =>
        store.Browser().ListPageAsync(query, cancellationToken);

    public static ValueTask<int> CountAsync(this ICacheStore store, CancellationToken cancellationToken = default) =>
        store.Browser().CountAsync(cancellationToken);

    public static ValueTask<CacheNamespaceCounts?> CountNamespacesAsync(this ICacheStore store, CancellationToken cancellationToken = default) =>
        store.Browser().CountNamespacesAsync(cancellationToken);

    public static IReadOnlyList<CacheOrder> Orders(this ICacheStore store) => store.Browser().Orders;
}
