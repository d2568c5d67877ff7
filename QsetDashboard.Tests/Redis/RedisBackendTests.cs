using Microsoft.EntityFrameworkCore;
using Qset.Caching;
using Qset.Caching.Hybrid;
using Qset.Caching.Redis;
using QsetDashboard.Data;
using QsetDashboard.Tests.Infrastructure;
using StackExchange.Redis;

namespace QsetDashboard.Tests.Redis;

[Collection(RedisCollection.Name)]
public sealed class RedisBackendTests(RedisServer redis)
{
    private Task<EngineHost> StartAsync(
        string backend, string prefix, Action<Dictionary<string, string?>>? configure = null, string? sharedDatabase = null, TestStoreSeams? seams = null) =>
        EngineHost.StartAsync(
            s =>
            {
                RedisCollection.Configure(s, redis, backend, prefix);
                configure?.Invoke(s);
            },
            sharedConnectionString: sharedDatabase,
            seams: seams);

    private static string NewPrefix() => $"t{Guid.NewGuid():N}:";

    private static async Task RenameEveryUserAsync(EngineHost host, string name)
    {
        await using var db = host.NewContext();
        await db.Users.ExecuteUpdateAsync(u => u.SetProperty(x => x.Name, name));
    }

    [Theory]
    [InlineData("Redis")]
    [InlineData("Hybrid")]
    public async Task CountAsync_DropsKeysRedisExpired_WithoutAScan(string backend)
    {
        await using var host = await StartAsync(backend, NewPrefix(), s => s["Cache:DefaultTtl"] = "00:00:01");
        await host.Generic.SetAsync(1, new User { Name = "Alice" });
        await host.Generic.GetAsync<User>(1);
        var count = await host.Cache.Store.CountAsync();
        Assert.True(count == 1, $"counted {count}, not 1, right after the populate; events:\n   {host.DumpEvents()}");

        // Redis expires the entry at its TTL; the counts follow from the indexes' scores, with no read of the entry.
        await Eventually.TrueAsync(async () => await host.Cache.Store.CountAsync() == 0, "the expired key is no longer counted");
        Assert.Empty((await host.Cache.Store.CountNamespacesAsync())!.ByType);
        Assert.Empty(await host.Cache.Store.KeysOfTypeAsync("User"));
    }

    [Theory]
    [InlineData("Redis")]
    [InlineData("Hybrid")]
    public async Task CountAsync_DropsAKeyRedisEvicted_BeforeItsTtl_FromEveryIndex(string backend)
    {
        var prefix = NewPrefix();
        await using var host = await StartAsync(backend, prefix, s => s["Cache:DefaultTtl"] = "01:00:00");
        for (var id = 1; id <= 3; id++)
        {
            await host.Generic.SetAsync(id, new User { Name = $"user {id}" });
            await host.Generic.GetAsync<User>(id);
        }

        Assert.Equal(3, await host.Cache.Store.CountAsync());

        // As maxmemory eviction would: the entry goes, its index memberships stay until a count samples them.
        await using (var direct = await redis.ConnectAsync())
        {
            Assert.True(await direct.GetDatabase().KeyDeleteAsync($"{prefix}e:User.2"));
        }

        Assert.Equal(2, await host.Cache.Store.CountAsync());
        Assert.Equal(new Dictionary<string, int> { ["User"] = 2 }, (await host.Cache.Store.CountNamespacesAsync())!.ByType);
        Assert.Equal(["User.1", "User.3"], (await host.Cache.Store.KeysOfTypeAsync("User")).Order(StringComparer.Ordinal));
        var bySize = await host.Cache.Store.ListPageAsync(new CacheListQuery(10, Order: CacheOrder.Size));
        Assert.Equal(["User.1", "User.3"], bySize.Entries.Select(e => e.Key).Order(StringComparer.Ordinal));
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
            // One size (two-digit ids, one name) for all; expiries as close as the server's clock makes them.
            var user = new User { Id = id, Name = "same" };
            var entry = new CacheEntry($"User.{id}", "User", user, CacheJson.Serialize(user), DateTimeOffset.UtcNow, TimeProvider.System.GetTimestamp(), expires, null);
            await store.TryPopulateAsync(entry, await store.BeginPopulateAsync(entry.Key));
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
            Assert.Equal(Enumerable.Range(10, 50).Select(i => $"User.{i}").Reverse(), keys);
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
        await using var host = await StartAsync("Redis", prefix, s => s["Cache:DefaultTtl"] = "00:02:00");
        await host.Generic.SetAsync(1, new User { Name = "Alice" });
        await host.Generic.GetAsync<User>(1);
        await using var direct = await redis.ConnectAsync();

        var ttl = await direct.GetDatabase().KeyTimeToLiveAsync($"{prefix}e:User.1");
        var raw = (string?)await direct.GetDatabase().StringGetAsync($"{prefix}e:User.1");

        Assert.NotNull(ttl);
        Assert.InRange(ttl.Value, TimeSpan.FromSeconds(100), TimeSpan.FromSeconds(120));
        Assert.Contains("\"t\":\"User\"", raw, StringComparison.Ordinal);
        Assert.Contains("Alice", raw, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("not json at all")]
    [InlineData("{\"hello\":\"world\"}")]
    [InlineData("{\"qset\":1,\"t\":\"Spaceship\",\"c\":\"2026-01-01T00:00:00Z\",\"a\":\"2999-01-01T00:00:00Z\",\"v\":{}}")]
    [InlineData("{\"qset\":1,\"t\":\"User\",\"c\":\"2026-01-01T00:00:00Z\",\"a\":\"2999-01-01T00:00:00Z\",\"v\":[1,2]}")]
    public async Task CorruptOrForeignValue_IsAMiss_IsRemoved_AndReported(string payload)
    {
        var prefix = NewPrefix();
        await using var host = await StartAsync("Redis", prefix);
        await host.Generic.SetAsync(1, new User { Name = "Alice" });
        await using var direct = await redis.ConnectAsync();
        await direct.GetDatabase().StringSetAsync($"{prefix}e:User.1", payload);

        var read = await host.Generic.ReadAsync<User>(1);

        Assert.False(read.Hit);
        Assert.Equal("Alice", read.Value!.Name);
        var error = Assert.Single(host.Events(), e => e.Kind == CacheEventKind.Error);
        Assert.StartsWith("corrupt or foreign value removed", error.Detail, StringComparison.Ordinal);
        var stored = (string?)await direct.GetDatabase().StringGetAsync($"{prefix}e:User.1");
        Assert.Contains("Alice", stored, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("Redis", "g:User.1")]
    [InlineData("Redis", "epoch")]
    [InlineData("Redis", "t:User")]
    [InlineData("Hybrid", "g:User.1")]
    public async Task ForeignTextWhereACounterBelongs_FailsNoRead_LosesNoWrite_AndCachingResumes(string backend, string counter)
    {
        // Something else wrote under the prefix where the cache keeps a counter (a generation, the flush epoch, a
        // table's bulk-write generation): reads still answer from the database, a write still invalidates, and the next
        // invalidation or bump makes the counter a number again.
        var prefix = NewPrefix();
        await using var host = await StartAsync(backend, prefix);
        await host.Generic.SetAsync(1, new User { Name = "Alice" });
        await using var direct = await redis.ConnectAsync();
        await direct.GetDatabase().StringSetAsync($"{prefix}{counter}", "not a number");

        var before = await host.Generic.ReadAsync<User>(1);

        Assert.Equal(("Alice", false), (before.Value?.Name, before.Hit));
        Assert.Contains(host.Events(), e => e.Kind == CacheEventKind.Reject && e.Detail!.Contains("holds text", StringComparison.Ordinal));
        await host.Generic.SetAsync(1, new User { Name = "Jane" });
        if (counter != "g:User.1")
        {
            // Only a flush bumps the epoch, only a bulk write a table's generation.
            await (counter == "epoch" ? host.Cache.FlushAsync().AsTask() : RenameEveryUserAsync(host, "Jane"));
        }

        await CachingResumes.WithAsync(host, 1, "Jane", "caching of User.1 resumes", 20_000);

        Assert.DoesNotContain(host.Events(), e => e.Kind is CacheEventKind.Error or CacheEventKind.Degraded);
    }

    [Fact]
    public async Task RedisExpiry_ArrivesAsAnExpireEvent_FromKeyspaceNotifications()
    {
        await using var host = await StartAsync("Redis", NewPrefix(), s => s["Cache:DefaultTtl"] = "00:00:01");
        await host.Generic.SetAsync(1, new User { Name = "Alice" });
        await host.Generic.GetAsync<User>(1);

        // Each look reads the key (a peek: no side effect of ours), so Redis expires it when read, as it would serve it,
        // and not only when its background sampling reaches it among every other key with a TTL on this shared server.
        await Eventually.TrueAsync(
            async () =>
            {
                await host.Cache.Store.PeekAsync("User.1");
                return host.Events().Any(e => e.Kind == CacheEventKind.Expire && e.Key == "User.1");
            },
            "Redis reports the expiry");

        Assert.Equal("redis", host.Events().First(e => e.Kind == CacheEventKind.Expire).Source);
    }

    [Fact]
    public async Task Hybrid_AnUpdateOnOneNode_ReturnsOnlyAfterTheOtherNodeDroppedItsL1Copy()
    {
        var prefix = NewPrefix();
        await using var nodeA = await StartAsync("Hybrid", prefix, s => s["Cache:NodeId"] = "node-a");
        await using var nodeB = await StartAsync("Hybrid", prefix, s => s["Cache:NodeId"] = "node-b", nodeA.ConnectionString);
        // Both nodes up first: a node that does not hear the channel yet serves nothing from Redis or its L1.
        await Eventually.TrueAsync(
            () => ((HybridCacheStore)nodeA.Cache.Store).HoldsLease && ((HybridCacheStore)nodeB.Cache.Store).HoldsLease, "both nodes hear the channel");
        await nodeA.Generic.SetAsync(1, new User { Name = "Alice" });
        await nodeA.Generic.GetAsync<User>(1);
        Assert.True((await nodeB.Generic.ReadAsync<User>(1)).Hit, "node B is served from the shared L2");
        Assert.Equal(1, nodeB.Cache.Store.Count);

        await nodeA.Generic.SetAsync(1, new User { Name = "Jane" });

        // No waiting: the write returned only after node B acknowledged dropping its copy.
        Assert.Equal(0, nodeB.Cache.Store.Count);
        Assert.Contains(nodeB.Events(), e => e.Kind == CacheEventKind.Invalidate && e.Source == "sync" && e.Detail!.Contains("node-a", StringComparison.Ordinal));
        var read = await nodeB.Generic.ReadAsync<User>(1);
        Assert.True("Jane" == read.Value?.Name, $"node B read {read.Value?.Name} (hit={read.Hit}).\nA: {nodeA.DumpEvents()}\nB: {nodeB.DumpEvents()}");
    }

    [Fact]
    public async Task Hybrid_AReadInTheGapBetweenTheTwoLevelsOfAnInvalidation_CannotPutTheOldValueBackInL1()
    {
        var seams = new TestStoreSeams();
        await using var host = await StartAsync("Hybrid", NewPrefix(), seams: seams);
        await host.Generic.SetAsync(1, new User { Name = "old" });
        await host.Generic.GetAsync<User>(1);
        var inGap = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var release = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        seams.BetweenLevels = async _ =>
        {
            inGap.TrySetResult();
            await release.Task;
        };

        var write = Task.Run(async () => await host.Generic.SetAsync(1, new User { Name = "new" }));
        await inGap.Task.WaitAsync(TimeSpan.FromSeconds(10));
        var during = await host.Generic.ReadAsync<User>(1);
        release.SetResult();
        await write;
        seams.BetweenLevels = null;

        // During the write either name is fair; once it is acknowledged, only the new one.
        Assert.Contains(during.Value!.Name, new[] { "old", "new" });
        var after = await host.Generic.ReadAsync<User>(1);
        Assert.True(after.Value!.Name == "new", $"after the write the node served {after.Value.Name} (hit={after.Hit}).\n{host.DumpEvents()}");
    }

    [Fact]
    public async Task Hybrid_APeekOfAnEntryInL2_DoesNotCopyItIntoL1()
    {
        var prefix = NewPrefix();
        await using var nodeA = await StartAsync("Hybrid", prefix, s => s["Cache:NodeId"] = "node-a");
        await using var nodeB = await StartAsync("Hybrid", prefix, s => s["Cache:NodeId"] = "node-b", nodeA.ConnectionString);
        await nodeA.Generic.SetAsync(1, new User { Name = "Alice" });
        await nodeA.Generic.GetAsync<User>(1);

        var peeked = await nodeB.Cache.Store.PeekAsync("User.1");

        Assert.Equal("Alice", ((User)peeked!.Value).Name);
        Assert.Equal(0, nodeB.Cache.Store.Count);
        Assert.DoesNotContain(nodeB.Events(), e => e.Kind is CacheEventKind.Hit or CacheEventKind.Populate);
    }
}
