using Qset.Caching;
using Qset.Caching.Feed;
using QsetDashboard.Tests.Infrastructure;
using QsetDashboard.Tests.Redis;

namespace QsetDashboard.Tests.Engine.Feed;

/// <summary>
/// On a shared store (Redis, Hybrid) one node follows the database for the cluster, by a lease in Redis: an outside
/// write reaches every node once, through the store and the channel the nodes already share; the others take over,
/// gap-free, when it stops, and are blind while a follower holds the lease without reporting.
/// </summary>
[Collection(RedisCollection.Name)]
public sealed class ClusterFeedTests(RedisServer redis)
{
    private static void Node(Dictionary<string, string?> settings, RedisServer redis, string backend, string prefix, string node)
    {
        settings["Qset:WatchDatabase"] = "true";
        RedisCollection.Configure(settings, redis, backend, prefix, section: "Qset");
        settings["Qset:NodeId"] = node;
    }

    private static IReadOnlyList<IChangeFeed> FeedsOf(EngineOnlyHost host) => host.Get<DatabaseWatch>().Feeds;

    private static async Task<string?> ReadTitleAsync(EngineOnlyHost host, int id) => (await host.Entities.ReadAsync<Book>([id])).Value?.Title;

    private static async Task CachedAsync(EngineOnlyHost host, int id)
    {
        await host.Entities.ReadAsync<Book>([id]);
        Assert.True((await host.Entities.ReadAsync<Book>([id])).Hit, $"book {id} is cached on node {host.Get<Microsoft.Extensions.Options.IOptions<CacheOptions>>().Value.NodeId}");
    }

    private static IEnumerable<CacheEvent> FromDatabase(EngineOnlyHost host) =>
        host.Events().Where(e => e.Kind == CacheEventKind.Invalidate && e.Source == WriteInvalidatorSource);

    private const string WriteInvalidatorSource = "database";

    [Theory]
    [InlineData("Redis")]
    [InlineData("Hybrid")]
    public async Task OneNodeFollowsForTheCluster_AndAnOutsideWriteReachesEveryNodeOnce(string backend)
    {
        var prefix = $"t{Guid.NewGuid():N}:";
        await using var a = await EngineOnlyHost.StartAsync(s => Node(s, redis, backend, prefix, "a"));
        await OutsideWriter.SqliteAsync(a.DatabaseFile, "PRAGMA journal_mode=WAL;");
        await using var b = await EngineOnlyHost.StartAsync(s => Node(s, redis, backend, prefix, "b"), sharedConnectionString: a.ConnectionString);
        Assert.Single(FeedsOf(a));
        Assert.Empty(FeedsOf(b));
        await Eventually.TrueAsync(() => b.Cache.GetStats().Feed.State == DatabaseFeedState.Live, "node b takes node a's report as its feed's state");
        Assert.Contains("followed for the cluster by node a", b.Cache.GetStats().Feed.Reason, StringComparison.Ordinal);

        await a.AddBookAsync(1, "Alice");
        await CachedAsync(a, 1);
        await CachedAsync(b, 1);

        await OutsideWriter.SqliteAsync(a.DatabaseFile, "UPDATE Books SET Title = 'Mallory' WHERE Id = 1;");

        await Eventually.TrueAsync(async () => await ReadTitleAsync(b, 1) == "Mallory", "node b reads the outside write");
        Assert.Equal("Mallory", await ReadTitleAsync(a, 1));

        // Recorded just after the store dropped the key: a read may see the drop first.
        await Eventually.TrueAsync(() => FromDatabase(a).Any(e => e.Key == "LibraryDb:Book.1"), "node a, the follower, recorded the feed's INVALIDATE");
        Assert.Single(FromDatabase(a), e => e.Key == "LibraryDb:Book.1");
        Assert.Empty(FromDatabase(b));
    }

    [Fact]
    public async Task WhenTheFollowerStops_AnotherNodeResumesFromItsPosition_AndMissesNothing()
    {
        var prefix = $"t{Guid.NewGuid():N}:";
        using var database = new TestDatabase();
        var a = await EngineOnlyHost.StartAsync(s => Node(s, redis, "Redis", prefix, "a"), sharedConnectionString: database.ConnectionString);
        await using var b = await EngineOnlyHost.StartAsync(s => Node(s, redis, "Redis", prefix, "b"), sharedConnectionString: database.ConnectionString);
        await a.AddBookAsync(1, "Alice");
        await CachedAsync(b, 1);
        await a.DisposeAsync();

        // Written while no node may follow yet: the next follower reads on from where the last one stopped.
        await OutsideWriter.SqliteAsync(b.DatabaseFile, "UPDATE Books SET Title = 'Mallory' WHERE Id = 1;");

        await Eventually.TrueAsync(() => FeedsOf(b).Count == 1, "node b took over following the database");

        // Waited for on the feed's event, not a read's title: while b takes over it is blind, and reads past the cache.
        await Eventually.TrueAsync(() => Task.FromResult(FromDatabase(b).Any(e => e.Key == "LibraryDb:Book.1")), () => $"node b's feed invalidated the write made while it took over.\nB: {b.DumpEvents()}");
        Assert.Equal("Mallory", await ReadTitleAsync(b, 1));
        Assert.DoesNotContain(b.Events(), e => e.Kind == CacheEventKind.Degraded);
        Assert.True(FromDatabase(b).Count(e => e.Key == "LibraryDb:Book.1") == 1, b.DumpEvents());
    }

    [Fact]
    public async Task AFollowerThatHoldsTheLeaseButDoesNotReport_MakesTheOthersBlind_UntilTheLeaseLapses()
    {
        var prefix = $"t{Guid.NewGuid():N}:";
        using var database = new TestDatabase();
        await using var connection = await redis.ConnectAsync();

        // A node killed without handing on: its lease stays until it lapses, and it reports nothing.
        var lease = $"{prefix}feed:qsets.db:lease";
        await connection.GetDatabase().StringSetAsync(lease, "killed", TimeSpan.FromMinutes(5));

        await using var b = await EngineOnlyHost.StartAsync(s => Node(s, redis, "Redis", prefix, "b"), sharedConnectionString: database.ConnectionString);
        var status = b.Cache.GetStats().Feed;
        Assert.Equal(DatabaseFeedState.Blind, status.State);
        Assert.Contains("node killed holds the lease", status.Reason, StringComparison.Ordinal);
        await b.AddBookAsync(2, "read past the cache");
        await b.Entities.ReadAsync<Book>([2]);
        Assert.False((await b.Entities.ReadAsync<Book>([2])).Hit, "a blind node serves nothing from the cache");

        // The lease lapses (deleted here rather than waited for): b takes over, and serves from the cache again.
        await connection.GetDatabase().KeyDeleteAsync(lease);
        await Eventually.TrueAsync(() => FeedsOf(b).Count == 1 && b.Cache.GetStats().Feed.State == DatabaseFeedState.Live, "node b took over");
        await b.Entities.ReadAsync<Book>([2]);
        Assert.True((await b.Entities.ReadAsync<Book>([2])).Hit, b.DumpEvents());
    }
}
