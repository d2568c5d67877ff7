using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using QsetDashboard.Tests.Infrastructure;

namespace QsetDashboard.Tests.Redis;

/// <summary>Redis goes down and comes back under two apps sharing it, through their HTTP API: a redis-server of the test's own, which it kills and restarts.</summary>
/// <remarks>The engine's own outage tests, without the app, are <see cref="Engine.Stores.Redis.OutageTests"/>.</remarks>
public sealed class OutageTests : IAsyncLifetime
{
    private readonly RedisServer _redis = new();

    public Task InitializeAsync() => _redis.InitializeAsync();

    public Task DisposeAsync() => _redis.DisposeAsync();

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

    private static async Task<string?> NameAsync(HttpClient client) =>
        (await client.GetFromJsonAsync<JsonElement>("/api/users/11")).GetProperty("name").GetString();

    private static async Task<string?> HealthAsync(HttpClient client) =>
        (await client.GetFromJsonAsync<JsonElement>("/health")).GetProperty("status").GetString();
}
