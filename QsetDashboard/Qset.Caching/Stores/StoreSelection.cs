using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;
using Qset.Caching.Hybrid;
using Qset.Caching.Redis;

namespace Qset.Caching;

/// <summary>
/// The store <c>Cache:Backend</c> chose, and each capability the engine and the dashboard use, from that store or a
/// null object where it has none. Built once, from the concrete store, so that nothing downstream asks a store what
/// it is.
/// </summary>
internal sealed record StoreSelection(
    ICacheStore Store,
    ICacheBrowser Browser,
    SynchronousStore? Synchronous,
    ISharedTableGenerations TableGenerations,
    IConfirmsInvalidations Confirmations,
    IReportsHealth Health,
    ICacheNodes Nodes,
    IHostedService Heartbeat)
{
    /// <summary>One database read per key across the nodes that share the store; a store of one node reads for itself.</summary>
    public IDistributedLoads Loads { get; init; } = NoDistributedLoads.Instance;

    /// <summary>The selection for the configured backend.</summary>
    public static StoreSelection ForBackend(IServiceProvider services)
    {
        var options = services.GetRequiredService<IOptions<CacheOptions>>().Value;
        var time = services.GetRequiredService<TimeProvider>();
        switch (options.Backend)
        {
            case CacheBackend.Redis:
                var redis = services.GetRequiredService<RedisCacheStore>();
                return new(redis, redis, null, redis, LocalOnly.Instance, redis,
                    new ThisNodeOnly(redis, redis, holdsLocally: false, options.NodeId, time), NoHeartbeat.Instance)
                {
                    Loads = new RedisLoads(services.GetRequiredService<RedisConnection>(), options),
                };
            case CacheBackend.Hybrid:
                var hybrid = services.GetRequiredService<HybridCacheStore>();
                var directory = services.GetRequiredService<NodeDirectory>();
                return new(hybrid, hybrid, null, hybrid, hybrid, hybrid, directory, directory)
                {
                    Loads = new RedisLoads(services.GetRequiredService<RedisConnection>(), options),
                };
            default:
                var memory = services.GetRequiredService<MemoryCacheStore>();
                return new(memory, memory, memory, LocalOnly.Instance, LocalOnly.Instance, new AlwaysHealthy(memory),
                    new ThisNodeOnly(memory, memory, holdsLocally: true, options.NodeId, time), NoHeartbeat.Instance);
        }
    }

    /// <summary>
    /// The selection for a store the host registered itself before <c>AddQsetCache</c> (an <see cref="ICacheStore"/>, and
    /// optionally an <see cref="ICacheBrowser"/> and an <see cref="IReportsHealth"/>, registered or implemented by the
    /// store): one node, nothing shared, no synchronous hits.
    /// </summary>
    public static StoreSelection ForHostStore(IServiceProvider services, ICacheBrowser? browser)
    {
        var options = services.GetRequiredService<IOptions<CacheOptions>>().Value;
        var store = services.GetRequiredService<ICacheStore>();

        // A registration says what the host meant; short of one, what the store is (checked once, here, at start).
        browser ??= store as ICacheBrowser ?? NoBrowsing.Instance;
        return new(store, browser, null, LocalOnly.Instance, LocalOnly.Instance,
            services.GetService<IReportsHealth>() ?? store as IReportsHealth ?? new AlwaysHealthy(store),
            new ThisNodeOnly(store, browser, holdsLocally: false, options.NodeId, services.GetRequiredService<TimeProvider>()),
            NoHeartbeat.Instance);
    }

    /// <summary>A browser of a store that shows nothing: for a host store registered without one.</summary>
    private sealed class NoBrowsing : ICacheBrowser
    {
        public static readonly NoBrowsing Instance = new();

        public ValueTask<int> CountAsync(CancellationToken cancellationToken = default) => new(0);

        public ValueTask<CacheEntry?> PeekAsync(string key, CancellationToken cancellationToken = default) => new((CacheEntry?)null);

        public ValueTask<CachePage> ListPageAsync(CacheListQuery query, CancellationToken cancellationToken = default) => new(new CachePage([], null));

        public ValueTask<IReadOnlyList<CacheEntry>> ListAsync(CancellationToken cancellationToken = default) => new([]);
    }

    /// <summary>The heartbeat of a store that has no other nodes to tell: none.</summary>
    private sealed class NoHeartbeat : IHostedService
    {
        public static readonly NoHeartbeat Instance = new();

        public Task StartAsync(CancellationToken cancellationToken) => Task.CompletedTask;

        public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
    }
}
