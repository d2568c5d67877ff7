using Qset.Caching;
using QsetDashboard.Tests.Infrastructure;

namespace QsetDashboard.Tests.Engine.Reading;

public sealed class StampedeTests
{
    [Fact]
    public async Task ThousandConcurrentColdGets_RunExactlyOneDatabaseQuery()
    {
        await using var host = await EngineOnlyHost.StartAsync(s => s["Qset:JournalCapacity"] = "100000");
        await host.AddBookAsync(1, "Emma");
        // An awaited gate, not a blocking one: 1,000 blocked pool threads would starve every other test in the run.
        var start = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);

        var gets = Enumerable.Range(0, 1_000).Select(_ => Task.Run(async () =>
        {
            await start.Task;
            return await host.Entities.FindAsync<Book>(1);
        })).ToArray();
        start.SetResult();
        var books = await Task.WhenAll(gets);

        Assert.All(books, b => Assert.Equal("Emma", b!.Title));
        var stats = host.Cache.GetStats();
        Assert.Equal(1, stats.DbQueries);
        Assert.Equal(1, stats.Populates);
        Assert.Equal(1_000, stats.Hits + stats.Misses);
    }

    [Fact]
    public async Task ConcurrentMisses_WaitForTheOneRead_AndAllGetItsValue()
    {
        await using var host = await EngineOnlyHost.StartAsync();
        var release = new TaskCompletionSource();
        var loads = 0;
        Func<int, CancellationToken, Task<Book?>> slowLoad = async (id, _) =>
        {
            Interlocked.Increment(ref loads);
            await release.Task;
            return new Book { Id = id, Title = "Slow" };
        };

        var readers = Enumerable.Range(0, 20).Select(_ => host.Cache.GetAsync("Book.5", 5, slowLoad).AsTask()).ToArray();
        await Eventually.TrueAsync(() => host.Cache.GetStats().Misses == 20, "every reader has missed");
        release.SetResult();
        var reads = await Task.WhenAll(readers);

        Assert.Equal(1, loads);
        Assert.All(reads, r => Assert.Equal("Slow", r.Value!.Title));
        Assert.Equal(19, host.Events().Count(e => e.Kind == CacheEventKind.Miss && e.Detail is not null));
    }

    [Fact]
    public async Task Coalescing_IsPerKey_ASlowKeyDoesNotBlockAnother()
    {
        await using var host = await EngineOnlyHost.StartAsync();
        var release = new TaskCompletionSource();
        Func<int, CancellationToken, Task<Book?>> load = async (id, _) =>
        {
            if (id == 1)
            {
                await release.Task;
            }

            return new Book { Id = id, Title = $"b{id}" };
        };

        var slow = host.Cache.GetAsync("Book.1", 1, load).AsTask();
        var fast = await host.Cache.GetAsync("Book.2", 2, load).AsTask().WaitAsync(TimeSpan.FromSeconds(10));

        Assert.Equal("b2", fast.Value!.Title);
        Assert.False(slow.IsCompleted);
        release.SetResult();
        Assert.Equal("b1", (await slow).Value!.Title);
    }

    [Fact]
    public async Task AWaitersCancellation_DoesNotCancelTheOthers()
    {
        await using var host = await EngineOnlyHost.StartAsync();
        var release = new TaskCompletionSource();
        Func<int, CancellationToken, Task<Book?>> slowLoad = async (id, _) =>
        {
            await release.Task;
            return new Book { Id = id, Title = "Done" };
        };
        using var cancel = new CancellationTokenSource();

        var owner = host.Cache.GetAsync("Book.3", 3, slowLoad, cancel.Token).AsTask();
        var other = host.Cache.GetAsync("Book.3", 3, slowLoad).AsTask();
        await Eventually.TrueAsync(() => host.Cache.GetStats().Misses == 2, "both readers have missed");
        await cancel.CancelAsync();
        release.SetResult();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => owner);
        Assert.Equal("Done", (await other).Value!.Title);
        await Eventually.TrueAsync(() => host.Cache.Store.Count == 1, "the shared read still populates");
    }

    [Fact]
    public async Task AFailingRead_ReachesEveryWaiterAsAnError_AndCachesNothing()
    {
        await using var host = await EngineOnlyHost.StartAsync();
        var release = new TaskCompletionSource();
        Func<int, CancellationToken, Task<Book?>> failingLoad = async (_, _) =>
        {
            await release.Task;
            throw new InvalidOperationException("database is down");
        };

        var readers = Enumerable.Range(0, 5).Select(_ => host.Cache.GetAsync("Book.4", 4, failingLoad).AsTask()).ToArray();
        await Eventually.TrueAsync(() => host.Cache.GetStats().Misses == 5, "every reader has missed");
        release.SetResult();

        foreach (var reader in readers)
        {
            var error = await Assert.ThrowsAsync<InvalidOperationException>(() => reader);
            Assert.Equal("database is down", error.Message);
        }

        Assert.Equal(0, host.Cache.Store.Count);
        Assert.Contains(host.Events(), e => e.Kind == CacheEventKind.Error && e.Detail!.Contains("database is down", StringComparison.Ordinal));
        Func<int, CancellationToken, Task<Book?>> goodLoad = (id, _) => Task.FromResult<Book?>(new Book { Id = id, Title = "Back" });
        Assert.Equal("Back", (await host.Cache.GetAsync("Book.4", 4, goodLoad)).Value!.Title);
    }
}

/// <summary>The window between a reader's miss and its joining the one read: a read that finished in it is not run twice.</summary>
public sealed class StampedeWindowTests
{
    [Fact]
    public async Task AReaderThatMissedJustBeforeTheOneReadFinished_IsServedWhatItPopulated_NotASecondRead()
    {
        await using var host = await EngineOnlyHost.StartAsync();
        var store = new GateStore(host.Cache.Store);
        var cache = new QsetCache(store, null, host.Get<CacheRecorder>(), host.Get<Microsoft.Extensions.Options.IOptions<CacheOptions>>(), TimeProvider.System);
        var loads = 0;
        var releaseLoad = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        Func<int, CancellationToken, Task<Book?>> load = async (id, _) =>
        {
            Interlocked.Increment(ref loads);
            await releaseLoad.Task;
            return new Book { Id = id, Title = "Once" };
        };

        var first = cache.GetAsync("Book.5", 5, load).AsTask();
        await Eventually.TrueAsync(() => Volatile.Read(ref loads) == 1, "the first reader's read has begun");

        // The second reader misses in the store, and is held there while the first read finishes and leaves.
        store.HoldNextMiss();
        var second = cache.GetAsync("Book.5", 5, load).AsTask();
        await store.MissHeld;
        releaseLoad.SetResult();
        Assert.Equal("Once", (await first).Value!.Title);
        store.ReleaseMiss();

        var read = await second;
        Assert.Equal("Once", read.Value!.Title);
        Assert.True(read.Hit);
        Assert.Equal(1, loads);
    }

    /// <summary>A store that can hold one miss before answering it.</summary>
    private sealed class GateStore(ICacheStore inner) : ICacheStore
    {
        private readonly TaskCompletionSource _held = new(TaskCreationOptions.RunContinuationsAsynchronously);
        private readonly TaskCompletionSource _release = new(TaskCreationOptions.RunContinuationsAsynchronously);
        private int _armed;

        public Task MissHeld => _held.Task;

        public string Name => inner.Name;

        public int Capacity => inner.Capacity;

        public int Count => inner.Count;

        public void HoldNextMiss() => Volatile.Write(ref _armed, 1);

        public void ReleaseMiss() => _release.TrySetResult();

        public async ValueTask<CacheEntry?> GetAsync(string key, CancellationToken cancellationToken = default)
        {
            var entry = await inner.GetAsync(key, cancellationToken);
            if (entry is null && Interlocked.Exchange(ref _armed, 0) == 1)
            {
                _held.TrySetResult();
                await _release.Task;
            }

            return entry;
        }

        public ValueTask<PopulateTicket> BeginPopulateAsync(string key, CancellationToken cancellationToken = default) => inner.BeginPopulateAsync(key, cancellationToken);

        public ValueTask<PopulateResult> TryPopulateAsync(CacheEntry entry, PopulateTicket ticket, CancellationToken cancellationToken = default) => inner.TryPopulateAsync(entry, ticket, cancellationToken);

        public ValueTask<bool> InvalidateAsync(string key, CancellationToken cancellationToken = default) => inner.InvalidateAsync(key, cancellationToken);

        public ValueTask<CacheClear> ClearAsync(CancellationToken cancellationToken = default) => inner.ClearAsync(cancellationToken);

        public ValueTask<IReadOnlyList<CacheEntry>> ListAsync(CancellationToken cancellationToken = default) => inner.ListAsync(cancellationToken);

        public ValueTask<CacheEntry?> PeekAsync(string key, CancellationToken cancellationToken = default) => inner.PeekAsync(key, cancellationToken);

        public ValueTask<CachePage> ListPageAsync(CacheListQuery query, CancellationToken cancellationToken = default) => inner.ListPageAsync(query, cancellationToken);

        public ValueTask<IReadOnlyList<string>> KeysOfTypeAsync(string entityType, CancellationToken cancellationToken = default) => inner.KeysOfTypeAsync(entityType, cancellationToken);
    }
}
