using System.Net.Http.Json;
using System.Text.Json;
using QsetDashboard.Tests.Infrastructure;

namespace QsetDashboard.Tests.Redis;

[Collection(RedisCollection.Name)]
public sealed class NodeDirectoryTests(RedisServer redis)
{
    [Fact]
    public async Task Nodes_ListEveryHybridNode_AndWhichKeysEachHolds()
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
                return nodes.EnumerateArray().Any(n => n.GetProperty("nodeId").GetString() == "node-a"
                    && n.GetProperty("keys").EnumerateArray().Any(k => k.GetString() == "Team.3"));
            }, "node B sees node A holding Team.3", 10_000);

            var self = nodes.EnumerateArray().First();
            Assert.Equal("node-b", self.GetProperty("nodeId").GetString());
            Assert.True(self.GetProperty("isSelf").GetBoolean());
            Assert.DoesNotContain(self.GetProperty("keys").EnumerateArray(), k => k.GetString() == "Team.3");
        }
        finally
        {
            database.Dispose();
        }
    }

    [Fact]
    public async Task Nodes_WithTheMemoryBackend_IsThisNodeWithItsKeys()
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
        Assert.Contains(node.GetProperty("keys").EnumerateArray(), k => k.GetString() == "User.4");
    }
}
