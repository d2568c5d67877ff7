using System.Net.Http.Json;
using System.Text.Json;
using QsetDashboard.Tests.Infrastructure;

namespace QsetDashboard.Tests.Redis;

[Collection(RedisCollection.Name)]
public sealed class NodeDirectoryTests(RedisServer redis)
{
    [Fact]
    public async Task Nodes_ListEveryHybridNode_WithItsKeyCount_AndWhichHoldAKeyIsAskedOnDemand()
    {
        var prefix = $"t{Guid.NewGuid():N}:";
        var database = new TestDatabase();
        try
        {
            Dictionary<string, string?> Settings(string node)
            {
                var settings = new Dictionary<string, string?> { ["ConnectionStrings:Qsets"] = database.ConnectionString, ["Cache:NodeId"] = node };
                RedisCollection.Configure(settings, redis, "Hybrid", prefix);
                return settings;
            }

            using var appA = new AppHost(Settings("node-a"));
            using var appB = new AppHost(Settings("node-b"));
            using var clientA = new HttpClient { BaseAddress = appA.BaseAddress };
            using var clientB = new HttpClient { BaseAddress = appB.BaseAddress };
            using (await clientA.PostAsJsonAsync("/api/teams", new { id = 3, name = "Dev" }))
            {
            }

            using (await clientA.GetAsync("/api/teams/3"))
            {
            }

            JsonElement nodes = default;
            await Eventually.TrueAsync(async () =>
            {
                nodes = await clientB.GetFromJsonAsync<JsonElement>("/api/cache/nodes");
                return nodes.EnumerateArray().Any(n => n.GetProperty("nodeId").GetString() == "node-a" && n.GetProperty("keyCount").GetInt32() == 1);
            }, "node B sees node A with one key in L1", 10_000);

            var self = nodes.EnumerateArray().First();
            Assert.Equal("node-b", self.GetProperty("nodeId").GetString());
            Assert.True(self.GetProperty("isSelf").GetBoolean());
            Assert.Equal(0, self.GetProperty("keyCount").GetInt32());
            Assert.All(nodes.EnumerateArray(), n => Assert.False(n.TryGetProperty("keys", out _), "a heartbeat carries a count, not keys"));

            // Asked on demand: node A answers for its L1, node B for its own.
            var holders = await clientB.GetFromJsonAsync<string[]>("/api/cache/entries/Team.3/nodes");
            Assert.Equal(["node-a"], holders!);
        }
        finally
        {
            database.Dispose();
        }
    }

    [Fact]
    public async Task Nodes_WithTheMemoryBackend_IsThisNodeWithItsKeyCount()
    {
        using var app = new AppHost();
        using var client = new HttpClient { BaseAddress = app.BaseAddress };
        using (await client.PostAsJsonAsync("/api/users", new { id = 4, name = "Ann" }))
        {
        }

        using (await client.GetAsync("/api/users/4"))
        {
        }

        var nodes = await client.GetFromJsonAsync<JsonElement>("/api/cache/nodes");

        var node = Assert.Single(nodes.EnumerateArray());
        Assert.Equal(1, node.GetProperty("keyCount").GetInt32());
        Assert.Equal([node.GetProperty("nodeId").GetString()!], (await client.GetFromJsonAsync<string[]>("/api/cache/entries/User.4/nodes"))!);
        Assert.Empty((await client.GetFromJsonAsync<string[]>("/api/cache/entries/User.5/nodes"))!);
    }
}
