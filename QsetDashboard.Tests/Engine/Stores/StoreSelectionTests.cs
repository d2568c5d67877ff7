using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Qset.Caching;

namespace QsetDashboard.Tests.Engine.Stores;

/// <summary>What the engine is given of its store: each capability from the store itself, or a null object.</summary>
public sealed class StoreSelectionTests
{
    [Fact]
    public async Task TheMemoryStore_IsItsOwnBrowserAndSynchronousRead_AndSharesNothing()
    {
        await using var host = await EngineOnlyHost.StartAsync();
        var selection = host.Get<StoreSelection>();

        Assert.Same(selection.Store, selection.Browser);
        Assert.Same(selection.Store, selection.Synchronous);
        Assert.Same(LocalOnly.Instance, selection.TableGenerations);
        Assert.Same(LocalOnly.Instance, selection.Confirmations);
        Assert.False(selection.Health.IsDegraded);
        var node = Assert.Single(await selection.Nodes.GetNodesAsync());
        Assert.True(node.IsSelf);
    }

    [Fact]
    public async Task AStoreTheHostRegistered_IsServedFrom_WithNullObjectsForWhatItLacks()
    {
        var services = new ServiceCollection();
        services.AddLogging(b => b.SetMinimumLevel(LogLevel.Warning));
        var own = new DictionaryStore();
        services.AddSingleton<ICacheStore>(own);
        services.AddQsetCache(new Microsoft.Extensions.Configuration.ConfigurationBuilder().Build());
        await using var provider = services.BuildServiceProvider();
        var cache = provider.GetRequiredService<QsetCache>();

        var first = await cache.GetAsync("Book.1", 1, static (id, _) => Task.FromResult<Book?>(new Book { Id = id, Title = "kept" }));
        var second = await cache.GetAsync("Book.1", 1, static (_, _) => Task.FromResult<Book?>(null));

        Assert.False(first.Hit);
        Assert.True(second.Hit);
        Assert.True(own.Holds("Book.1"));
        var selection = provider.GetRequiredService<StoreSelection>();
        Assert.Null(selection.Synchronous);
        Assert.Equal(0, await provider.GetRequiredService<ICacheBrowser>().CountAsync());
        Assert.Empty(await selection.Nodes.HoldersAsync("Book.1"));
    }

    /// <summary>A store of a host's own: a dictionary, the guard by a counter of invalidations.</summary>
    private sealed class DictionaryStore : ICacheStore
    {
        private readonly System.Collections.Concurrent.ConcurrentDictionary<string, CacheEntry> _entries = new();
        private long _clock;

        public string Name => "Dictionary";

        public int Capacity => int.MaxValue;

        public int Count => _entries.Count;

        public bool Holds(string key) => _entries.ContainsKey(key);

        public ValueTask<CacheEntry?> GetAsync(string key, CancellationToken cancellationToken = default) =>
            new(_entries.TryGetValue(key, out var entry) ? entry : null);

        public ValueTask<PopulateTicket> BeginPopulateAsync(string key, CancellationToken cancellationToken = default) =>
            new(new PopulateTicket(key, Interlocked.Read(ref _clock)));

        public ValueTask<PopulateResult> TryPopulateAsync(CacheEntry entry, PopulateTicket ticket, CancellationToken cancellationToken = default)
        {
            if (Interlocked.Read(ref _clock) != ticket.Stamp)
            {
                return new(PopulateResult.Rejected("invalidated since the read began"));
            }

            _entries[entry.Key] = entry;
            return new(PopulateResult.StoredOver(null));
        }

        public ValueTask<bool> InvalidateAsync(string key, CancellationToken cancellationToken = default)
        {
            Interlocked.Increment(ref _clock);
            return new(_entries.TryRemove(key, out _));
        }

        public ValueTask<CacheClear> ClearAsync(CancellationToken cancellationToken = default)
        {
            Interlocked.Increment(ref _clock);
            var count = _entries.Count;
            _entries.Clear();
            return new(new CacheClear(count, []));
        }

        public ValueTask<IReadOnlyList<string>> KeysOfTypeAsync(string entityType, CancellationToken cancellationToken = default) =>
            new([.. _entries.Values.Where(e => e.EntityType == entityType).Select(e => e.Key)]);
    }
}
