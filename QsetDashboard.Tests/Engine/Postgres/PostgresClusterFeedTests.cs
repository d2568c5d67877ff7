using Npgsql;
using Qset.Caching;
using Qset.Caching.Feed;
using QsetDashboard.Tests.Infrastructure;

namespace QsetDashboard.Tests.Engine.Postgres;

/// <summary>
/// Two nodes sharing a Redis store on one PostgreSQL database: one replication slot for the cluster, held by the node
/// that follows for it; when that node stops, the other opens its own and drops what the cluster holds (a new slot
/// cannot see what was committed before it).
/// </summary>
[Collection(PostgresCollection.Name)]
public sealed class PostgresClusterFeedTests(PostgresServer server, RedisServer redis) : IClassFixture<RedisServer>
{
    private static void Node(Dictionary<string, string?> settings, RedisServer redis, string prefix, string node)
    {
        settings["Qset:WatchDatabase"] = "true";
        Redis.RedisCollection.Configure(settings, redis, "Hybrid", prefix, section: "Qset");
        settings["Qset:NodeId"] = node;
    }

    private async Task<long> SlotsAsync(string database) =>
        long.Parse(await OutsideWriter.PostgresAsync(server.AdminConnectionString,
            $"SELECT count(*) FROM pg_replication_slots WHERE database = '{new NpgsqlConnectionStringBuilder(database).Database}'"), System.Globalization.CultureInfo.InvariantCulture);

    [Fact]
    public async Task OneSlotServesTheCluster_AndTheNextFollowerDropsWhatTheClusterHolds()
    {
        var prefix = $"t{Guid.NewGuid():N}:";
        var database = await server.CreateDatabaseAsync();
        var a = await EngineOnlyHost.StartAsync(s => Node(s, redis, prefix, "a"), postgres: database);
        await using var b = await EngineOnlyHost.StartAsync(s => Node(s, redis, prefix, "b"), postgres: database);
        Assert.Equal(1, await SlotsAsync(database));
        await a.AddBookAsync(1, "Alice");
        await b.Entities.ReadAsync<Book>([1]);
        Assert.True((await b.Entities.ReadAsync<Book>([1])).Hit, $"A: {a.DumpEvents()}\nB: {b.DumpEvents()}");

        await OutsideWriter.PostgresAsync(database, """UPDATE "Books" SET "Title" = 'Mallory' WHERE "Id" = 1""");
        await Eventually.TrueAsync(async () => (await b.Entities.ReadAsync<Book>([1])).Value?.Title == "Mallory", "node b reads the outside write, which node a's slot saw");
        Assert.DoesNotContain(b.Events(), e => e.Kind == CacheEventKind.Invalidate && e.Source == "database");

        await b.Entities.ReadAsync<Book>([1]);
        await a.DisposeAsync();
        await Eventually.TrueAsync(() => b.Get<DatabaseWatch>().Feeds.Count == 1 && b.Cache.GetStats().Feed.State == DatabaseFeedState.Live, "node b took over");
        Assert.Contains(b.Events(), e => e.Kind == CacheEventKind.Degraded && e.Detail!.Contains("from a new replication slot", StringComparison.Ordinal));
        Assert.False((await b.Entities.ReadAsync<Book>([1])).Hit, "what the cluster held before the new slot opened was dropped");
        await Eventually.TrueAsync(async () => await SlotsAsync(database) == 1, "node a's slot went with it, node b's is open");
    }
}
