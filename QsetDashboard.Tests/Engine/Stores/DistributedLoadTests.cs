using Qset.Caching;
using QsetDashboard.Tests.Infrastructure;
using QsetDashboard.Tests.Redis;

namespace QsetDashboard.Tests.Engine.Stores;

/// <summary>
/// One database read per key across nodes on Redis and Hybrid: the node that misses first takes a lease on the read
/// in Redis; the others wait for its populate; a write still refuses what a read that began before it would store.
/// </summary>
[Collection(RedisCollection.Name)]
public sealed class DistributedLoadTests(RedisServer redis)
{
    /// <summary>The database both nodes read, counting its reads; a read can be held until the test lets it go.</summary>
    private sealed class SharedDatabase(EngineOnlyHost host)
    {
        private int _reads;

        public int Reads => Volatile.Read(ref _reads);

        public TaskCompletionSource Gate { get; set; } = Open();

        public static TaskCompletionSource Open()
        {
            var open = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            open.SetResult();
            return open;
        }

        public async Task<Book?> LoadAsync(CancellationToken cancellationToken)
        {
            Interlocked.Increment(ref _reads);
            await Gate.Task;
            await using var db = host.NewContext();
            return await db.Books.FindAsync([1], cancellationToken);
        }
    }

    private static void Node(Dictionary<string, string?> settings, RedisServer redis, string backend, string prefix, string node)
    {
        RedisCollection.Configure(settings, redis, backend, prefix, section: "Qset");
        settings["Qset:NodeId"] = node;
        settings["Qset:DistributedLoadWait"] = "00:00:10";
    }

    private static Task<CacheRead<Book>[]> ReadManyAsync(EngineOnlyHost host, SharedDatabase database, int count) =>
        Task.WhenAll(Enumerable.Range(0, count).Select(_ => Task.Run(() =>
            host.Cache.GetAsync<Book, SharedDatabase>("Book.1", database, (db, ct) => db.LoadAsync(ct)).AsTask())));

    [Theory]
    [InlineData("Hybrid")]
    [InlineData("Redis")]
    public async Task TwoNodes_AHundredColdReadsEach_ReadTheDatabaseOnce_AndAfterAWriteOnceMore(string backend)
    {
        var prefix = $"t{Guid.NewGuid():N}:";
        await using var a = await EngineOnlyHost.StartAsync(s => Node(s, redis, backend, prefix, "a"));
        await using var b = await EngineOnlyHost.StartAsync(s => Node(s, redis, backend, prefix, "b"), sharedConnectionString: a.ConnectionString);
        await a.AddBookAsync(1, "Alice");
        var database = new SharedDatabase(a);

        async Task<CacheRead<Book>[]> ColdReadsAsync()
        {
            database.Gate = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            var reads = Task.WhenAll(ReadManyAsync(a, database, 100), ReadManyAsync(b, database, 100));
            await Eventually.TrueAsync(() => a.Cache.LoadsInFlight == 1 && b.Cache.LoadsInFlight == 1,
                "each node has one read of the key under way: one at the database, the other waiting for it");
            database.Gate.SetResult();
            return [.. (await reads).SelectMany(r => r)];
        }

        var first = await ColdReadsAsync();
        Assert.Equal(1, database.Reads);
        Assert.All(first, r => Assert.Equal("Alice", r.Value!.Title));
        Assert.Equal(1, a.Cache.GetStats().DbQueries + b.Cache.GetStats().DbQueries);
        Assert.Contains((a.Events().Any(e => e.Kind == CacheEventKind.Populate) ? b : a).Events(),
            e => e.Kind == CacheEventKind.Miss && e.Detail?.Contains("read it from the database for the cluster", StringComparison.Ordinal) == true);

        await using (var db = a.NewContext())
        {
            (await db.Books.FindAsync(1))!.Title = "Alicia";
            await db.SaveChangesAsync();
        }

        await a.Cache.InvalidateAsync("Book.1", "Book", "renamed");
        var second = await ColdReadsAsync();
        Assert.Equal(2, database.Reads);
        Assert.All(second, r => Assert.Equal("Alicia", r.Value!.Title));
    }

    [Fact]
    public async Task ANodeHoldingTheLeaseWithoutReading_HoldsTheOthersOnlyUpToTheWait()
    {
        var prefix = $"t{Guid.NewGuid():N}:";
        await using var a = await EngineOnlyHost.StartAsync(s =>
        {
            Node(s, redis, "Hybrid", prefix, "a");
            s["Qset:DistributedLoadWait"] = "00:00:00.300";
        });
        await a.AddBookAsync(1, "Alice");
        var database = new SharedDatabase(a);
        await using var connection = await redis.ConnectAsync();

        // A node that took the lease and died: its lease outlasts the wait.
        await connection.GetDatabase().StringSetAsync($"{prefix}load:Book.1", "dead", TimeSpan.FromMinutes(1));

        var read = await a.Cache.GetAsync<Book, SharedDatabase>("Book.1", database, (db, ct) => db.LoadAsync(ct));
        Assert.Equal("Alice", read.Value!.Title);
        Assert.Equal(1, database.Reads);
    }
}
