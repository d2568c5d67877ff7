using Qset.Caching;
using QsetDashboard.Tests.Infrastructure;
using QsetDashboard.Tests.Redis;

namespace QsetDashboard.Tests.Engine.Stores;

/// <summary>
/// Fail-safe on the shared stores: a copy is served only when the shared guard says no node's write invalidated it;
/// once served, the stale value is held in the shared store for the throttle, and every node's hit of it says STALE.
/// </summary>
[Collection(RedisCollection.Name)]
public sealed class FailSafeAcrossNodesTests(RedisServer redis)
{
    private static void Node(Dictionary<string, string?> settings, RedisServer redis, string backend, string prefix, string node)
    {
        RedisCollection.Configure(settings, redis, backend, prefix, section: "Qset");
        settings["Qset:NodeId"] = node;

        // A second's TTL, awaited in real time: Redis expires its keys by its own clock.
        settings["Qset:DefaultTtl"] = "00:00:01";
        settings["Qset:FailSafeMaxDuration"] = "00:10:00";
        settings["Qset:FailSafeThrottle"] = "00:00:30";
    }

    private sealed class Database(EngineOnlyHost host)
    {
        public bool Down { get; set; }

        public async Task<Book?> LoadAsync(CancellationToken cancellationToken)
        {
            if (Down)
            {
                throw new InvalidOperationException("connection refused");
            }

            await using var db = host.NewContext();
            return await db.Books.FindAsync([1], cancellationToken);
        }
    }

    private static ValueTask<CacheRead<Book>> ReadAsync(EngineOnlyHost host, Database database) =>
        host.Cache.GetAsync<Book, Database>("Book.1", database, (db, ct) => db.LoadAsync(ct));

    private static async Task<(EngineOnlyHost A, EngineOnlyHost B, Database OnA, Database OnB)> TwoNodesAsync(RedisServer redis, string backend)
    {
        var prefix = $"t{Guid.NewGuid():N}:";
        var a = await EngineOnlyHost.StartAsync(s => Node(s, redis, backend, prefix, "a"));
        var b = await EngineOnlyHost.StartAsync(s => Node(s, redis, backend, prefix, "b"), sharedConnectionString: a.ConnectionString);
        await a.AddBookAsync(1, "Alice");
        return (a, b, new Database(a), new Database(b));
    }

    private static Task ExpiredAsync(EngineOnlyHost host) =>
        Eventually.TrueAsync(async () => await host.Browser.PeekAsync("Book.1") is null, "book 1's TTL ran out");

    [Theory]
    [InlineData("Redis")]
    [InlineData("Hybrid")]
    public async Task AnExpiredValue_IsServedStale_AndTheOtherNodesHitOfItSaysSoToo(string backend)
    {
        var (a, b, onA, onB) = await TwoNodesAsync(redis, backend);
        await using var _ = a;
        await using var __ = b;
        await ReadAsync(a, onA);
        await ExpiredAsync(a);
        onA.Down = onB.Down = true;

        var stale = await ReadAsync(a, onA);
        Assert.True(stale.Stale, a.DumpEvents());
        Assert.Equal("Alice", stale.Value!.Title);

        var there = await ReadAsync(b, onB);
        Assert.True(there.Stale && there.Hit, $"node b hit the stale value a stored, and knew it.\nB: {b.DumpEvents()}");
        Assert.Contains(b.Events(), e => e.Kind == CacheEventKind.Stale);
    }

    [Theory]
    [InlineData("Redis")]
    [InlineData("Hybrid")]
    public async Task AValueAnotherNodeInvalidated_IsNotServedStale(string backend)
    {
        var (a, b, onA, _) = await TwoNodesAsync(redis, backend);
        await using var _a = a;
        await using var _b = b;
        await ReadAsync(a, onA);

        // Node b's write: a's shelf never hears of it; the shared guard does.
        await b.Cache.InvalidateAsync("Book.1", "Book", "renamed on node b");
        await ExpiredAsync(a);
        onA.Down = true;

        await Assert.ThrowsAsync<InvalidOperationException>(async () => await ReadAsync(a, onA));
        Assert.DoesNotContain(a.Events(), e => e.Kind == CacheEventKind.Stale);
    }
}
