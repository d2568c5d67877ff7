using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.Data.Sqlite;
using QsetDashboard.Tests.Infrastructure;

namespace QsetDashboard.Tests.Api;

/// <summary><c>/health</c>: what it reveals, and whether it notices that writes fail.</summary>
public sealed class HealthTests
{
    private const string Token = "health-token-0123456789abcdef";

    [Fact]
    public async Task OnANonLoopbackBind_WithoutAToken_SaysOnlyTheStatus()
    {
        using var app = new AppHost(new Dictionary<string, string?> { ["Dashboard:Token"] = Token, ["Cache:NodeId"] = "secret-node-4242" }, loopbackOnly: false);
        using var client = new HttpClient { BaseAddress = app.LoopbackAddress };

        using var response = await client.GetAsync("/health");
        var text = await response.Content.ReadAsStringAsync();

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        using var body = JsonDocument.Parse(text);
        Assert.Equal("Healthy", body.RootElement.GetProperty("status").GetString());
        Assert.Equal(["status"], body.RootElement.EnumerateObject().Select(p => p.Name));
        Assert.DoesNotContain("store", text, StringComparison.OrdinalIgnoreCase);
    }

    [Fact]
    public async Task OnANonLoopbackBind_WithTheToken_ShowsTheChecks()
    {
        using var app = new AppHost(new Dictionary<string, string?> { ["Dashboard:Token"] = Token }, loopbackOnly: false);
        using var client = new HttpClient { BaseAddress = app.LoopbackAddress };
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", Token);

        var body = await client.GetFromJsonAsync<JsonElement>("/health");

        Assert.Equal("Healthy", body.GetProperty("checks").GetProperty("database").GetProperty("status").GetString());
        Assert.Contains("Memory store", body.GetProperty("checks").GetProperty("cache").GetProperty("description").GetString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task WhileAnotherConnectionHoldsTheWriteLock_HealthIsDegraded_AndHealthyAgainAfter()
    {
        var database = new TestDatabase();
        try
        {
            using var app = new AppHost(new Dictionary<string, string?> { ["ConnectionStrings:Qsets"] = database.ConnectionString });
            using var client = new HttpClient { BaseAddress = app.BaseAddress };
            Assert.Equal("Healthy", (await client.GetFromJsonAsync<JsonElement>("/health")).GetProperty("status").GetString());

            await using (var blocker = new SqliteConnection(database.ConnectionString))
            {
                await blocker.OpenAsync();
                await using var command = blocker.CreateCommand();
                command.CommandText = "BEGIN IMMEDIATE;";
                await command.ExecuteNonQueryAsync();

                var locked = await client.GetFromJsonAsync<JsonElement>("/health");

                Assert.Equal("Degraded", locked.GetProperty("status").GetString());
                var check = locked.GetProperty("checks").GetProperty("database");
                Assert.Equal("Degraded", check.GetProperty("status").GetString());
                Assert.Contains("write", check.GetProperty("description").GetString(), StringComparison.OrdinalIgnoreCase);
                command.CommandText = "ROLLBACK;";
                await command.ExecuteNonQueryAsync();
            }

            Assert.Equal("Healthy", (await client.GetFromJsonAsync<JsonElement>("/health")).GetProperty("status").GetString());
        }
        finally
        {
            database.Dispose();
        }
    }
}
