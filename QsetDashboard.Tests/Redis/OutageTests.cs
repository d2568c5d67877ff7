using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Qset.Caching;
using QsetDashboard.Data;
using QsetDashboard.Tests.Infrastructure;

namespace QsetDashboard.Tests.Redis;

/// <summary>Redis goes down and comes back, under a redis-server of the test's own, which it kills and restarts.</summary>
public sealed class OutageTests : IAsyncLifetime
{
    private readonly RedisServer _redis = new();

    public Task InitializeAsync() => _redis.InitializeAsync();

    public Task DisposeAsync() => _redis.DisposeAsync();

    [Fact]
    public async Task AnInvalidationDeferredWhileRedisIsDown_IsNotRecordedAsFindingNothing()
    {
        // Whether Redis held the key is unknown until it returns: the event must not say "nothing was cached".
        await using var host = await EngineHost.StartAsync(s => RedisCollection.Configure(s, _redis, "Redis", $"t{Guid.NewGuid():N}:"));
        await host.Generic.SetAsync(1, new User { Name = "before" });
        await host.Generic.GetAsync<User>(1);

        await _redis.StopAsync();
        await host.Generic.SetAsync(1, new User { Name = "during" });

        var invalidation = host.Events().Last(e => e.Kind == CacheEventKind.Invalidate && e.Key == "User.1");
        Assert.Equal(1, invalidation.Count);
        Assert.True(((IReportsHealth)host.Cache.Store).IsDegraded, "the invalidation was deferred");
        await _redis.StartAsync();
    }

    [Fact]
    public async Task RedisDown_ReadsAndWritesStillWork_ThenEveryNodeReadsFreshAfterTheRestart()
    {
        var prefix = $"t{Guid.NewGuid():N}:";
        await using var nodeA = await EngineHost.StartAsync(s => { RedisCollection.Configure(s, _redis, "Hybrid", prefix); s["Cache:NodeId"] = "a"; });
        await using var nodeB = await EngineHost.StartAsync(s => { RedisCollection.Configure(s, _redis, "Hybrid", prefix); s["Cache:NodeId"] = "b"; }, sharedConnectionString: nodeA.ConnectionString);
        await nodeA.Generic.SetAsync(1, new User { Name = "before" });
        await nodeA.Generic.GetAsync<User>(1);
        await nodeB.Generic.GetAsync<User>(1);

        await _redis.StopAsync();
        var duringA = await nodeA.Generic.ReadAsync<User>(1);
        await nodeA.Generic.SetAsync(1, new User { Name = "during" });
        var duringB = await nodeB.Generic.ReadAsync<User>(1);

        Assert.Equal("before", duringA.Value!.Name);
        Assert.Equal("during", duringB.Value!.Name);
        Assert.False(duringB.Hit, "a degraded node reads the database, not an L1 that may have missed invalidations");
        Assert.Contains(nodeA.Events(), e => e.Kind == CacheEventKind.Degraded);
        Assert.True(((IReportsHealth)nodeB.Cache.Store).IsDegraded);

        await _redis.StartAsync();
        await Eventually.TrueAsync(() => nodeA.Events().Any(e => e.Kind == CacheEventKind.Recovered), "node A reconnects", 20_000);
        await Eventually.TrueAsync(() => nodeB.Events().Any(e => e.Kind == CacheEventKind.Recovered), "node B reconnects", 20_000);

        Assert.Equal("during", (await nodeA.Generic.GetAsync<User>(1))!.Name);
        Assert.Equal("during", (await nodeB.Generic.GetAsync<User>(1))!.Name);
        Assert.True((await nodeB.Generic.ReadAsync<User>(1)).Hit, "caching resumes by itself");
        Assert.False(((IReportsHealth)nodeB.Cache.Store).IsDegraded);
    }

    [Fact]
    public async Task TwoApps_ShareOneRedis_AnUpdateThroughOneIsSeenByTheOther_AndRedisDownFailsNoRequest()
    {
        var database = new TestDatabase();
        try
        {
            Dictionary<string, string?> Settings(string node) => new()
            {
                ["ConnectionStrings:Qsets"] = database.ConnectionString,
                ["Cache:Backend"] = "Hybrid",
                ["Cache:Redis"] = _redis.ConnectionString,
                ["Cache:NodeId"] = node,
                ["Cache:RedisTimeout"] = "00:00:05",
            };
            using var appA = new AppHost(Settings("app-a"));
            using var appB = new AppHost(Settings("app-b"));
            using var clientA = new HttpClient { BaseAddress = appA.BaseAddress };
            using var clientB = new HttpClient { BaseAddress = appB.BaseAddress };

            using (var created = await clientA.PostAsJsonAsync("/api/users", new { id = 11, name = "v0" }))
            {
                Assert.Equal(HttpStatusCode.Created, created.StatusCode);
            }

            Assert.Equal("v0", await NameAsync(clientB));
            Assert.Equal("v0", await NameAsync(clientB));
            using (var updated = await clientA.PutAsJsonAsync("/api/users/11", new { name = "v1" }))
            {
                Assert.Equal(HttpStatusCode.OK, updated.StatusCode);
            }

            Assert.Equal("v1", await NameAsync(clientB));

            var failures = 0;
            var requests = 0;
            using var stopLoad = new CancellationTokenSource();
            var load = Enumerable.Range(0, 4).Select(i => Task.Run(async () =>
            {
                var client = i % 2 == 0 ? clientA : clientB;
                while (!stopLoad.IsCancellationRequested)
                {
                    using var response = await client.GetAsync("/api/users/11");
                    Interlocked.Increment(ref requests);
                    if (response.StatusCode != HttpStatusCode.OK)
                    {
                        Interlocked.Increment(ref failures);
                    }
                }
            })).ToArray();

            await Task.Delay(300);
            await _redis.StopAsync();
            await Task.Delay(500);
            using (var duringOutage = await clientA.PutAsJsonAsync("/api/users/11", new { name = "v2" }))
            {
                Assert.Equal(HttpStatusCode.OK, duringOutage.StatusCode);
            }

            Assert.Equal("Degraded", await HealthAsync(clientB));
            await Task.Delay(300);
            await _redis.StartAsync();
            await Eventually.TrueAsync(async () => await HealthAsync(clientA) == "Healthy" && await HealthAsync(clientB) == "Healthy", "both apps reconnect", 20_000);
            await Task.Delay(300);
            await stopLoad.CancelAsync();
            await Task.WhenAll(load);

            Assert.True(requests > 20, $"the load made too few requests ({requests})");
            Assert.Equal(0, failures);
            Assert.Equal("v2", await NameAsync(clientA));
            Assert.Equal("v2", await NameAsync(clientB));
        }
        finally
        {
            database.Dispose();
        }
    }

    [Fact]
    public async Task RedisDownAtStart_TheAppServesFromTheDatabase_AndCachingStartsWhenRedisComesUp()
    {
        await _redis.StopAsync();
        await using var host = await EngineHost.StartAsync(s => RedisCollection.Configure(s, _redis, "Hybrid"));
        await host.Generic.SetAsync(1, new User { Name = "Alice" });

        Assert.Equal("Alice", (await host.Generic.GetAsync<User>(1))!.Name);
        Assert.False((await host.Generic.ReadAsync<User>(1)).Hit);
        Assert.Contains(host.Events(), e => e.Kind == CacheEventKind.Degraded);

        await _redis.StartAsync();
        await Eventually.TrueAsync(async () =>
        {
            await host.Generic.GetAsync<User>(1);
            return !((IReportsHealth)host.Cache.Store).IsDegraded;
        }, "the first connection is made and caching starts", 20_000);
        await host.Generic.GetAsync<User>(1);

        Assert.True((await host.Generic.ReadAsync<User>(1)).Hit);
        Assert.Contains(host.Events(), e => e.Kind == CacheEventKind.Recovered);
    }

    private static async Task<string?> NameAsync(HttpClient client) =>
        (await client.GetFromJsonAsync<JsonElement>("/api/users/11")).GetProperty("name").GetString();

    private static async Task<string?> HealthAsync(HttpClient client) =>
        (await client.GetFromJsonAsync<JsonElement>("/health")).GetProperty("status").GetString();
}
