using Microsoft.EntityFrameworkCore;
using Qset.Caching;
using Qset.Caching.Hybrid;
using QsetDashboard.Tests.Infrastructure;
using QsetDashboard.Tests.Redis;

namespace QsetDashboard.Tests.Engine.Stores.Redis;

[Collection(RedisCollection.Name)]
public sealed class RedisBackendTests(RedisServer redis)
{
    private Task<EngineOnlyHost> StartAsync(string backend, string prefix, Action<Dictionary<string, string?>>? configure = null, TestStoreSeams? seams = null) =>
        EngineOnlyHost.StartAsync(
            s =>
            {
                RedisCollection.Configure(s, redis, backend, prefix, "Qset");
                configure?.Invoke(s);
            },
            seams: seams);

    /// <summary>Hybrid nodes node-a and node-b over one database and <paramref name="prefix"/>.</summary>
    private Task<NodePair> StartTwoHybridNodesAsync(string prefix) =>
        NodePair.StartAsync((s, _) => RedisCollection.Configure(s, redis, "Hybrid", prefix, "Qset"), "node-a", "node-b");

    private static string NewPrefix() => $"t{Guid.NewGuid():N}:";

    private static async Task RetitleEveryBookAsync(EngineOnlyHost host, string title)
    {
        await using var db = host.NewContext();
        await db.Books.ExecuteUpdateAsync(b => b.SetProperty(x => x.Title, title));
    }

    /// <summary>Book <paramref name="id"/> added and read once: cached under <c>LibraryDb:Book.{id}</c>.</summary>
    private static async Task CachedBookAsync(EngineOnlyHost host, int id, string title)
    {
        await host.AddBookAsync(id, title);
        await host.Entities.FindAsync<Book>(id);
    }

    [Theory]
    [InlineData("Redis")]
    [InlineData("Hybrid")]
    public async Task CountAsync_DropsKeysRedisExpired_WithoutAScan(string backend)
    {
        await using var host = await StartAsync(backend, NewPrefix(), s => s["Qset:DefaultTtl"] = "00:00:01");
        await CachedBookAsync(host, 1, "Emma");
        var count = await host.Cache.Store.CountAsync();
        Assert.True(count == 1, $"counted {count}, not 1, right after the populate; events:\n   {host.DumpEvents()}");

        // Redis expires the entry at its TTL; the counts follow from the indexes' scores, with no read of the entry.
        await Eventually.TrueAsync(async () => await host.Cache.Store.CountAsync() == 0, "the expired key is no longer counted");
        Assert.Empty((await host.Cache.Store.CountNamespacesAsync())!.ByType);
        Assert.Empty(await host.Cache.Store.KeysOfTypeAsync("LibraryDb:Book"));
    }

    [Theory]
    [InlineData("Redis")]
    [InlineData("Hybrid")]
    public async Task CountAsync_DropsAKeyRedisEvicted_BeforeItsTtl_FromEveryIndex(string backend)
    {
        var prefix = NewPrefix();
        await using var host = await StartAsync(backend, prefix, s => s["Qset:DefaultTtl"] = "01:00:00");
        for (var id = 1; id <= 3; id++)
        {
            await CachedBookAsync(host, id, $"book {id}");
        }

        Assert.Equal(3, await host.Cache.Store.CountAsync());

        // As maxmemory eviction would: the entry goes, its index memberships stay until a count samples them.
        await using (var direct = await redis.ConnectAsync())
        {
            Assert.True(await direct.GetDatabase().KeyDeleteAsync($"{prefix}e:LibraryDb:Book.2"));
        }

        Assert.Equal(2, await host.Cache.Store.CountAsync());
        Assert.Equal(new Dictionary<string, int> { ["LibraryDb:Book"] = 2 }, (await host.Cache.Store.CountNamespacesAsync())!.ByType);
        Assert.Equal(["LibraryDb:Book.1", "LibraryDb:Book.3"], (await host.Cache.Store.KeysOfTypeAsync("LibraryDb:Book")).Order(StringComparer.Ordinal));
        var bySize = await host.Cache.Store.ListPageAsync(new CacheListQuery(10, Order: CacheOrder.Size));
        Assert.Equal(["LibraryDb:Book.1", "LibraryDb:Book.3"], bySize.Entries.Select(e => e.Key).Order(StringComparer.Ordinal));
    }

    [Theory]
    [InlineData(CacheOrder.Size)]
    [InlineData(CacheOrder.Ttl)]
    public async Task ByOrder_ManyKeysWithOneScore_PageOnByRank_EachOnce(CacheOrder order)
    {
        await using var host = await StartAsync("Redis", NewPrefix());
        var store = host.Cache.Store;
        var expires = DateTimeOffset.UtcNow.AddMinutes(5);
        for (var id = 10; id < 60; id++)
        {
            // One size (two-digit ids, one title) for all; expiries as close as the server's clock makes them.
            await store.PopulateAsync(StoreEntries.Book(id, "same", expires));
        }

        List<string> keys = [];
        for (var page = await store.ListPageAsync(new CacheListQuery(7, Order: order)); ; page = await store.ListPageAsync(new CacheListQuery(7, page.NextCursor, Order: order)))
        {
            Assert.InRange(page.Entries.Count, 0, 7);
            keys.AddRange(page.Entries.Select(e => e.Key));
            if (page.NextCursor is null)
            {
                break;
            }
        }

        Assert.Equal(50, keys.Count);
        Assert.Equal(50, keys.Distinct(StringComparer.Ordinal).Count());
        if (order == CacheOrder.Size)
        {
            // Ties largest-first run in Redis's reverse member order.
            Assert.Equal(Enumerable.Range(10, 50).Select(i => $"Book.{i}").Reverse(), keys);
        }
    }

    [Fact]
    public async Task AValueJsonCannotExpress_IsServedFromTheDatabase_Uncached_WithTheRefusalOnRecord()
    {
        await using var host = await StartAsync("Redis", NewPrefix());

        var read = await host.Cache.GetAsync<Unwritable, int>(
            "Unwritable.1", 1, static (_, _) => Task.FromResult<Unwritable?>(new Unwritable(typeof(int))), new CacheReadPolicy("Unwritable", []));

        Assert.False(read.Hit);
        Assert.Equal(typeof(int), read.Value!.Kind);
        Assert.Equal(0, await host.Cache.Store.CountAsync());
        Assert.Contains(host.Events(), e => e.Key == "Unwritable.1" && e.Detail?.Contains("cannot be written to Redis as JSON", StringComparison.Ordinal) == true);
    }

    private sealed record Unwritable(Type Kind);

    [Fact]
    public async Task Populate_WritesTheValueWithItsTtl_UnderThePrefix()
    {
        var prefix = NewPrefix();
        await using var host = await StartAsync("Redis", prefix, s => s["Qset:DefaultTtl"] = "00:02:00");
        await CachedBookAsync(host, 1, "Emma");
        await using var direct = await redis.ConnectAsync();

        var ttl = await direct.GetDatabase().KeyTimeToLiveAsync($"{prefix}e:LibraryDb:Book.1");
        var raw = (string?)await direct.GetDatabase().StringGetAsync($"{prefix}e:LibraryDb:Book.1");

        Assert.NotNull(ttl);
        Assert.InRange(ttl.Value, TimeSpan.FromSeconds(100), TimeSpan.FromSeconds(120));
        Assert.Contains("\"t\":\"LibraryDb:Book\"", raw, StringComparison.Ordinal);
        Assert.Contains("Emma", raw, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("not json at all")]
    [InlineData("{\"hello\":\"world\"}")]
    [InlineData("{\"qset\":1,\"t\":\"LibraryDb:Book\",\"c\":\"2026-01-01T00:00:00Z\",\"a\":\"2999-01-01T00:00:00Z\",\"v\":[1,2]}")]
    public async Task CorruptOrForeignValue_IsAMiss_IsRemoved_AndReported(string payload)
    {
        var prefix = NewPrefix();
        await using var host = await StartAsync("Redis", prefix);
        await host.AddBookAsync(1, "Emma");
        await using var direct = await redis.ConnectAsync();
        await direct.GetDatabase().StringSetAsync($"{prefix}e:LibraryDb:Book.1", payload);

        var read = await host.Entities.ReadAsync<Book>([1]);

        Assert.False(read.Hit);
        Assert.Equal("Emma", read.Value!.Title);
        var error = Assert.Single(host.Events(), e => e.Kind == CacheEventKind.Error);
        Assert.StartsWith("corrupt or foreign value removed", error.Detail, StringComparison.Ordinal);
        var stored = (string?)await direct.GetDatabase().StringGetAsync($"{prefix}e:LibraryDb:Book.1");
        Assert.Contains("Emma", stored, StringComparison.Ordinal);
    }

    [Fact]
    public async Task AValueOfATypeThisNodeHasNotMet_IsAMissHere_NotAnErrorThatDeletesIt()
    {
        // Another node's value, of a type this one has not registered (its own model not built yet, or another app's).
        var prefix = NewPrefix();
        await using var host = await StartAsync("Redis", prefix);
        await host.AddBookAsync(1, "Emma");
        await using var direct = await redis.ConnectAsync();
        await direct.GetDatabase().StringSetAsync($"{prefix}e:LibraryDb:Book.1",
            "{\"qset\":1,\"t\":\"Spaceship\",\"c\":\"2026-01-01T00:00:00Z\",\"a\":\"2999-01-01T00:00:00Z\",\"v\":{}}");

        var read = await host.Entities.ReadAsync<Book>([1]);

        Assert.False(read.Hit);
        Assert.Equal("Emma", read.Value!.Title);
        Assert.DoesNotContain(host.Events(), e => e.Kind == CacheEventKind.Error);
    }

    [Theory]
    [InlineData("Redis", "g:LibraryDb:Book.1")]
    [InlineData("Redis", "epoch")]
    [InlineData("Redis", "t:LibraryDb:Book")]
    [InlineData("Hybrid", "g:LibraryDb:Book.1")]
    public async Task ForeignTextWhereACounterBelongs_FailsNoRead_LosesNoWrite_AndCachingResumes(string backend, string counter)
    {
        // Something else wrote under the prefix where the cache keeps a counter (a generation, the flush epoch, a
        // table's bulk-write generation): reads still answer from the database, a write still invalidates, and the next
        // invalidation or bump makes the counter a number again.
        var prefix = NewPrefix();
        await using var host = await StartAsync(backend, prefix);
        await host.AddBookAsync(1, "Emma");
        await using var direct = await redis.ConnectAsync();
        await direct.GetDatabase().StringSetAsync($"{prefix}{counter}", "not a number");

        var before = await host.Entities.ReadAsync<Book>([1]);

        Assert.Equal(("Emma", false), (before.Value?.Title, before.Hit));
        Assert.Contains(host.Events(), e => e.Kind == CacheEventKind.Reject && e.Detail!.Contains("holds text", StringComparison.Ordinal));
        await host.SaveBookAsync(1, "Persuasion");
        if (counter != "g:LibraryDb:Book.1")
        {
            // Only a flush bumps the epoch, only a bulk write a table's generation.
            await (counter == "epoch" ? host.Cache.FlushAsync().AsTask() : RetitleEveryBookAsync(host, "Persuasion"));
        }

        await CachingResumes.WithAsync(host, 1, "Persuasion", "caching of LibraryDb:Book.1 resumes", 20_000);

        Assert.DoesNotContain(host.Events(), e => e.Kind is CacheEventKind.Error or CacheEventKind.Degraded);
    }

    [Fact]
    public async Task RedisExpiry_ArrivesAsAnExpireEvent_FromKeyspaceNotifications()
    {
        await using var host = await StartAsync("Redis", NewPrefix(), s => s["Qset:DefaultTtl"] = "00:00:01");
        await CachedBookAsync(host, 1, "Emma");

        // Each look reads the key (a peek: no side effect of ours), so Redis expires it when read, as it would serve it,
        // and not only when its background sampling reaches it among every other key with a TTL on this shared server.
        await Eventually.TrueAsync(
            async () =>
            {
                await host.Cache.Store.PeekAsync("LibraryDb:Book.1");
                return host.Events().Any(e => e.Kind == CacheEventKind.Expire && e.Key == "LibraryDb:Book.1");
            },
            "Redis reports the expiry");

        Assert.Equal("redis", host.Events().First(e => e.Kind == CacheEventKind.Expire).Source);
    }

    [Fact]
    public async Task Hybrid_AnUpdateOnOneNode_ReturnsOnlyAfterTheOtherNodeDroppedItsL1Copy()
    {
        await using var nodes = await StartTwoHybridNodesAsync(NewPrefix());
        var (nodeA, nodeB) = nodes;
        // Both nodes up first: a node that does not hear the channel yet serves nothing from Redis or its L1.
        await Eventually.TrueAsync(
            () => ((HybridCacheStore)nodeA.Cache.Store).HoldsLease && ((HybridCacheStore)nodeB.Cache.Store).HoldsLease, "both nodes hear the channel");
        await CachedBookAsync(nodeA, 1, "Emma");
        Assert.True((await nodeB.Entities.ReadAsync<Book>([1])).Hit, "node B is served from the shared L2");
        Assert.Equal(1, nodeB.Cache.Store.Count);

        await nodeA.SaveBookAsync(1, "Persuasion");

        // No waiting: the write returned only after node B acknowledged dropping its copy.
        Assert.Equal(0, nodeB.Cache.Store.Count);
        Assert.Contains(nodeB.Events(), e => e.Kind == CacheEventKind.Invalidate && e.Source == "sync" && e.Detail!.Contains("node-a", StringComparison.Ordinal));
        var read = await nodeB.Entities.ReadAsync<Book>([1]);
        Assert.True("Persuasion" == read.Value?.Title, $"node B read {read.Value?.Title} (hit={read.Hit}).\nA: {nodeA.DumpEvents()}\nB: {nodeB.DumpEvents()}");
    }

    [Fact]
    public async Task Hybrid_AReadInTheGapBetweenTheTwoLevelsOfAnInvalidation_CannotPutTheOldValueBackInL1()
    {
        var seams = new TestStoreSeams();
        await using var host = await StartAsync("Hybrid", NewPrefix(), seams: seams);
        await CachedBookAsync(host, 1, "old");
        var inGap = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var release = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        seams.BetweenLevels = async _ =>
        {
            inGap.TrySetResult();
            await release.Task;
        };

        var write = Task.Run(async () => await host.SaveBookAsync(1, "new"));
        await inGap.Task.WaitAsync(TimeSpan.FromSeconds(10));
        var during = await host.Entities.ReadAsync<Book>([1]);
        release.SetResult();
        await write;
        seams.BetweenLevels = null;

        // During the write either title is fair; once it is acknowledged, only the new one.
        Assert.Contains(during.Value!.Title, new[] { "old", "new" });
        var after = await host.Entities.ReadAsync<Book>([1]);
        Assert.True(after.Value!.Title == "new", $"after the write the node served {after.Value.Title} (hit={after.Hit}).\n{host.DumpEvents()}");
    }

    [Fact]
    public async Task Hybrid_APeekOfAnEntryInL2_DoesNotCopyItIntoL1()
    {
        await using var nodes = await StartTwoHybridNodesAsync(NewPrefix());
        var (nodeA, nodeB) = nodes;
        await CachedBookAsync(nodeA, 1, "Emma");

        var peeked = await nodeB.Cache.Store.PeekAsync("LibraryDb:Book.1");

        Assert.Equal("Emma", ((Book)peeked!.Value).Title);
        Assert.Equal(0, nodeB.Cache.Store.Count);
        Assert.DoesNotContain(nodeB.Events(), e => e.Kind is CacheEventKind.Hit or CacheEventKind.Populate);
    }
}
