using Qset.Caching;
using Qset.Caching.Hybrid;
using Qset.Caching.Redis;
using QsetDashboard.Tests.Infrastructure;
using QsetDashboard.Tests.Redis;
using StackExchange.Redis;

namespace QsetDashboard.Tests.Engine.Stores.Redis;

/// <summary>
/// A managed Redis is often a cluster. With a prefix that is a hash tag every backend works on one as on a single
/// server (the store contract runs on it too: <see cref="RedisClusterStoreContractTests"/>); with an untagged prefix
/// the cache refuses the cluster, serves every read from the database and says why, instead of failing requests.
/// </summary>
[Collection(RedisClusterCollection.Name)]
public sealed class RedisClusterTests(RedisCluster cluster)
{
    [Theory]
    [InlineData("Redis")]
    [InlineData("Hybrid")]
    public async Task AnUntaggedPrefix_OnACluster_ServesEveryReadFromTheDatabase_AndSaysWhy(string backend)
    {
        await using var host = await EngineOnlyHost.StartAsync(s => RedisClusterCollection.Configure(s, cluster, backend, $"t{Guid.NewGuid():N}:", "Qset"));

        await RefusedServer.AssertEveryReadGoesToTheDatabaseAsync(host, "hash tag");
    }

    [Fact]
    public async Task ATaggedPrefix_PutsEveryKeyOfTheApp_InOneSlot()
    {
        var prefix = RedisClusterCollection.TaggedPrefix();
        await using var host = await EngineOnlyHost.StartAsync(s => RedisClusterCollection.Configure(s, cluster, "Redis", prefix, "Qset"));
        var shelf = Guid.NewGuid();
        await host.AddBookAsync(1, "Emma");
        await host.Entities.FindAsync<Book>(1);
        await host.AddShelfAsync(shelf, "fiction");
        await host.Entities.FindAsync<Shelf>(shelf);

        await using var direct = await cluster.ConnectAsync();
        var slots = new HashSet<int>();
        foreach (var server in direct.GetServers().Where(s => !s.IsReplica))
        {
            // Braces are no pattern characters: the prefix matches itself.
            await foreach (var key in server.KeysAsync(pattern: $"{prefix}*"))
            {
                slots.Add(direct.HashSlot(key));
            }
        }

        Assert.True(slots.Count > 0, "the app's keys are found");
        Assert.Equal(direct.HashSlot(prefix), Assert.Single(slots));
        Assert.False(((IReportsHealth)host.Cache.Store).IsDegraded);
    }

    [Fact]
    public async Task RedisExpiry_OnACluster_ArrivesAsAnExpireEvent_FromTheNodeThatHoldsTheKey()
    {
        await using var host = await EngineOnlyHost.StartAsync(s =>
        {
            RedisClusterCollection.Configure(s, cluster, "Redis", section: "Qset");
            s["Qset:DefaultTtl"] = "00:00:02";
        });

        // On a loaded machine the first connection to the cluster may still be under way: until it is, nothing is cached
        // (reads go to the database), so there would be nothing to expire.
        await host.Entities.FindAsync<Book>(1);
        await Eventually.TrueAsync(() => !host.Get<StoreSelection>().Health.IsDegraded, "the store reached the cluster");
        await host.AddBookAsync(1, "Emma");
        await host.Entities.FindAsync<Book>(1);
        Assert.NotNull(await host.Cache.Store.GetAsync("LibraryDb:Book.1"));

        // Keyspace notifications are per node: the store listens on every primary, not only the one the client chose.
        await Eventually.TrueAsync(() => host.Events().Any(e => e.Kind == CacheEventKind.Expire && e.Key == "LibraryDb:Book.1"), "Redis reports the expiry", 20_000);
    }

    [Fact]
    public async Task Hybrid_TwoNodesOnACluster_AWriteOnOneDropsTheOthersL1Copy_BeforeItReturns()
    {
        var prefix = RedisClusterCollection.TaggedPrefix();
        await using var nodes = await StartTwoHybridNodesAsync(prefix);
        var (nodeA, nodeB) = nodes;

        // A cluster's PUBLISH counts the subscribers of the node it reached, and a write waits for that many
        // acknowledgements: both nodes must listen where the channel is published, on the owner of the prefix's slot.
        await using (var direct = await ConnectionMultiplexer.ConnectAsync($"{cluster.ConnectionString},allowAdmin=true"))
        {
            var owner = direct.GetServer((RedisKey)prefix).EndPoint;
            foreach (var server in direct.GetServers().Where(s => !s.IsReplica))
            {
                var reply = (RedisResult[])(await server.ExecuteAsync("PUBSUB", "NUMSUB", $"{prefix}invalidations"))!;
                Assert.Equal(server.EndPoint.Equals(owner) ? 2 : 0, (long)reply[1]);
            }
        }

        await nodeA.AddBookAsync(1, "Emma");
        await nodeA.Entities.FindAsync<Book>(1);
        Assert.True((await nodeB.Entities.ReadAsync<Book>([1])).Hit, "node B is served from the shared L2");

        await nodeA.SaveBookAsync(1, "Persuasion");

        Assert.Equal(0, nodeB.Cache.Store.Count);
        var read = await nodeB.Entities.ReadAsync<Book>([1]);
        Assert.True("Persuasion" == read.Value?.Title, $"node B read {read.Value?.Title} (hit={read.Hit}).\nA: {nodeA.DumpEvents()}\nB: {nodeB.DumpEvents()}");
    }

    [Fact]
    public async Task Hybrid_OnACluster_AWriteWaitsForEveryNodeItHears_EvenWhenPublishCountsOnlyItself()
    {
        // After a failover a node may still listen on the old primary, and the new one's PUBLISH does not count it.
        var (seamsA, seamsB) = (new TestStoreSeams(), new TestStoreSeams());
        await using var nodes = await StartTwoHybridNodesAsync(RedisClusterCollection.TaggedPrefix(), seamsA, seamsB);
        var (nodeA, nodeB) = nodes;

        // Node A subscribed before node B started, so A has heard the heartbeat that gave B its lease, or hears it
        // before anything B does next.
        await Eventually.TrueAsync(async () =>
        {
            await nodeB.SaveBookAsync(1, "Emma");
            await nodeB.Entities.FindAsync<Book>(1);
            return (await nodeB.Entities.ReadAsync<Book>([1])).Hit;
        }, "node B holds book 1 in L1");
        seamsA.CountReceivers = _ => 1;

        // Node B is slow to apply: a write that trusted the short count would return long before B dropped its copy.
        seamsB.Applying = _ => Thread.Sleep(300);

        await nodeA.SaveBookAsync(1, "Persuasion");

        Assert.True(0 == nodeB.Cache.Store.Count, $"node A's write returned before node B dropped its copy.\nA: {nodeA.DumpEvents()}\nB: {nodeB.DumpEvents()}");
        Assert.Equal("Persuasion", (await nodeB.Entities.ReadAsync<Book>([1])).Value?.Title);
    }

    /// <summary>Two Hybrid nodes, node-a started first, sharing a database and the tagged <paramref name="prefix"/>, both holding their lease.</summary>
    private async Task<NodePair> StartTwoHybridNodesAsync(string prefix, TestStoreSeams? seamsA = null, TestStoreSeams? seamsB = null)
    {
        var nodes = await NodePair.StartAsync(
            (s, _) => RedisClusterCollection.Configure(s, cluster, "Hybrid", prefix, "Qset"), "node-a", "node-b", seamsA, seamsB);
        try
        {
            await Eventually.TrueAsync(
                () => ((HybridCacheStore)nodes.A.Cache.Store).HoldsLease && ((HybridCacheStore)nodes.B.Cache.Store).HoldsLease, "both nodes hear the channel");
            return nodes;
        }
        catch
        {
            await nodes.DisposeAsync();
            throw;
        }
    }

    [Theory]
    [InlineData("{qset}:", true)]
    [InlineData("app:{qset}:", true)]
    [InlineData("{a}", true)]
    [InlineData("qset:", false)]
    [InlineData("{}qset:", false)]
    [InlineData("{qset:", false)]
    [InlineData("qset}:{", false)]
    public void IsHashTag_FollowsRedisRule_TheFirstBraceAndTheFirstCloseAfterIt_WithSomethingBetween(string prefix, bool tagged)
    {
        Assert.Equal(tagged, RedisConnection.IsHashTag(prefix));
    }

    [Theory]
    [InlineData(false, "6.0.16", "{qset}:", "older than 6.2")]
    [InlineData(true, "5.0.7", "{qset}:", "older than 6.2")]
    [InlineData(false, "6.2.0", "qset:", null)]
    [InlineData(false, "7.0.15", "qset:", null)]
    [InlineData(true, "7.0.15", "qset:", "not a hash tag")]
    [InlineData(true, "7.2.4", "{qset}:", null)]
    public void AServer_IsRefused_WhenItsScriptsCannotRun_AndSaysWhy(bool cluster, string version, string prefix, string? why)
    {
        var reason = RedisConnection.Unfit(cluster, Version.Parse(version), prefix);

        if (why is null)
        {
            Assert.Null(reason);
        }
        else
        {
            Assert.Contains(why, reason, StringComparison.Ordinal);
        }
    }

    [Theory]
    [InlineData("allkeys-lru", "volatile-")]
    [InlineData("allkeys-lfu", "volatile-")]
    [InlineData("allkeys-random", "volatile-")]
    [InlineData("volatile-lru", null)]
    [InlineData("volatile-ttl", null)]
    [InlineData("noeviction", null)]
    [InlineData(null, null)]
    public void AServer_IsRefused_WhenItWouldEvictTheIndexes(string? policy, string? why)
    {
        var reason = RedisConnection.Unfit(cluster: false, new Version(7, 0), "{qset}:", policy);

        if (why is null)
        {
            Assert.Null(reason);
        }
        else
        {
            Assert.Contains(why, reason, StringComparison.Ordinal);
        }
    }

    [Fact]
    public void TheDefaultPrefix_IsAHashTag_SoAClusterWorksWithoutSettingOne()
    {
        Assert.True(RedisConnection.IsHashTag(new CacheOptions().RedisPrefix));
    }

    [Fact]
    public void ACommandTheClientRefuses_CountsAsAnOutage_SoTheReadGoesToTheDatabase()
    {
        Assert.True(RedisConnection.IsOutage(new RedisCommandException("Multi-key operations must involve a single slot")));
    }
}
