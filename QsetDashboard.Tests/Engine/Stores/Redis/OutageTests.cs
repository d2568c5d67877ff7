using Qset.Caching;
using QsetDashboard.Tests.Infrastructure;
using QsetDashboard.Tests.Redis;

namespace QsetDashboard.Tests.Engine.Stores.Redis;

/// <summary>Redis goes down and comes back, under a redis-server of the test's own, which it kills and restarts.</summary>
/// <remarks>Two apps sharing one Redis through an outage, over their HTTP API, is <see cref="QsetDashboard.Tests.Redis.OutageTests"/>.</remarks>
public sealed class OutageTests : IAsyncLifetime
{
    private readonly RedisServer _redis = new();

    public Task InitializeAsync() => _redis.InitializeAsync();

    public Task DisposeAsync() => _redis.DisposeAsync();

    /// <summary>Book <paramref name="id"/> added and read once: cached under <c>LibraryDb:Book.{id}</c>.</summary>
    private static async Task CachedBookAsync(EngineOnlyHost host, int id, string title)
    {
        await host.AddBookAsync(id, title);
        await host.Entities.FindAsync<Book>(id);
    }

    [Fact]
    public async Task AnInvalidationDeferredWhileRedisIsDown_IsNotRecordedAsFindingNothing()
    {
        // Whether Redis held the key is unknown until it returns: the event must not say "nothing was cached".
        await using var host = await EngineOnlyHost.StartAsync(s => RedisCollection.Configure(s, _redis, "Redis", $"t{Guid.NewGuid():N}:", "Qset"));
        await CachedBookAsync(host, 1, "before");

        await _redis.StopAsync();
        await host.SaveBookAsync(1, "during");

        var invalidation = host.Events().Last(e => e.Kind == CacheEventKind.Invalidate && e.Key == "LibraryDb:Book.1");
        Assert.Equal(1, invalidation.Count);
        Assert.True(((IReportsHealth)host.Cache.Store).IsDegraded, "the invalidation was deferred");
        await _redis.StartAsync();
    }

    [Fact]
    public async Task RedisDown_ReadsAndWritesStillWork_ThenEveryNodeReadsFreshAfterTheRestart()
    {
        var prefix = $"t{Guid.NewGuid():N}:";
        await using var nodes = await NodePair.StartAsync((s, _) => RedisCollection.Configure(s, _redis, "Hybrid", prefix, "Qset"));
        var (nodeA, nodeB) = nodes;
        await CachedBookAsync(nodeA, 1, "before");
        await nodeB.Entities.FindAsync<Book>(1);

        await _redis.StopAsync();
        var duringA = await nodeA.Entities.ReadAsync<Book>([1]);
        await nodeA.SaveBookAsync(1, "during");
        var duringB = await nodeB.Entities.ReadAsync<Book>([1]);

        Assert.Equal("before", duringA.Value!.Title);
        Assert.Equal("during", duringB.Value!.Title);
        Assert.False(duringB.Hit, "a degraded node reads the database, not an L1 that may have missed invalidations");
        Assert.Contains(nodeA.Events(), e => e.Kind == CacheEventKind.Degraded);
        Assert.True(((IReportsHealth)nodeB.Cache.Store).IsDegraded);

        await _redis.StartAsync();
        await Eventually.TrueAsync(() => nodeA.Events().Any(e => e.Kind == CacheEventKind.Recovered), "node A reconnects", 20_000);
        await Eventually.TrueAsync(() => nodeB.Events().Any(e => e.Kind == CacheEventKind.Recovered), "node B reconnects", 20_000);

        Assert.Equal("during", (await nodeA.Entities.FindAsync<Book>(1))!.Title);
        Assert.Equal("during", (await nodeB.Entities.FindAsync<Book>(1))!.Title);
        Assert.True((await nodeB.Entities.ReadAsync<Book>([1])).Hit, "caching resumes by itself");
        Assert.False(((IReportsHealth)nodeB.Cache.Store).IsDegraded);
    }

    [Fact]
    public async Task RedisDownAtStart_TheAppServesFromTheDatabase_AndCachingStartsWhenRedisComesUp()
    {
        await _redis.StopAsync();
        await using var host = await EngineOnlyHost.StartAsync(s => RedisCollection.Configure(s, _redis, "Hybrid", section: "Qset"));
        await host.AddBookAsync(1, "Emma");

        Assert.Equal("Emma", (await host.Entities.FindAsync<Book>(1))!.Title);
        Assert.False((await host.Entities.ReadAsync<Book>([1])).Hit);
        Assert.Contains(host.Events(), e => e.Kind == CacheEventKind.Degraded);

        await _redis.StartAsync();
        await Eventually.TrueAsync(async () =>
        {
            await host.Entities.FindAsync<Book>(1);
            return !((IReportsHealth)host.Cache.Store).IsDegraded;
        }, "the first connection is made and caching starts", 20_000);
        await host.Entities.FindAsync<Book>(1);

        Assert.True((await host.Entities.ReadAsync<Book>([1])).Hit);
        Assert.Contains(host.Events(), e => e.Kind == CacheEventKind.Recovered);
    }
}
