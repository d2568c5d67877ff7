using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using QsetDashboard.Tests.Infrastructure;

namespace QsetDashboard.Tests.Api;

/// <summary><c>/api/cache/ledger</c> and the new demos over the real app on real Kestrel.</summary>
public sealed class LedgerApiTests(AppHostFixture host) : IClassFixture<AppHostFixture>
{
    private readonly HttpClient _client = host.CreateClient();

    [Fact]
    public async Task Ledger_AfterTheQuerySetsDemo_ShowsItsQueryAndTheUserTable()
    {
        using var run = await _client.PostAsync("/api/demos/querysets/run", null);
        Assert.Equal(HttpStatusCode.OK, run.StatusCode);

        var ledger = await _client.GetFromJsonAsync<JsonElement>("/api/cache/ledger");

        var queries = ledger.GetProperty("queries").EnumerateArray().ToList();
        var query = queries.First(q => q.GetProperty("hits").GetInt64() == 2);
        Assert.StartsWith("Query.User.", query.GetProperty("name").GetString(), StringComparison.Ordinal);
        Assert.Equal(["User"], query.GetProperty("tables").EnumerateArray().Select(t => t.GetString()));
        Assert.Equal(2.0 / 4, query.GetProperty("hitRatio").GetDouble(), 10);
        Assert.True(query.GetProperty("dbTimeSavedMs").GetDouble() > 0);
        Assert.Contains(ledger.GetProperty("entities").EnumerateArray(), e => e.GetProperty("name").GetString() == "User");
        Assert.Contains("invalidations ≥ hits", ledger.GetProperty("flagRule").GetString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Ledger_KindFilter_KeepsOneTable()
    {
        var entities = await _client.GetFromJsonAsync<JsonElement>("/api/cache/ledger?kind=entity");

        Assert.Equal(0, entities.GetProperty("queries").GetArrayLength());
    }

    [Fact]
    public async Task Ledger_BadKind_Is400ProblemDetails()
    {
        using var response = await _client.GetAsync("/api/cache/ledger?kind=tables");

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        var problem = await response.Content.ReadFromJsonAsync<JsonElement>();
        Assert.Contains("'kind' must be 'entity' or 'query'", problem.GetProperty("errors").GetProperty("kind")[0].GetString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task SignalsDemo_RunsOverHttp_WithAutomaticInvalidationsInItsEvents()
    {
        using var response = await _client.PostAsync("/api/demos/signals/run", null);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        using var body = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        var first = body.RootElement.GetProperty("steps")[0].GetProperty("events")[0];
        Assert.Equal("INVALIDATE", first.GetProperty("kind").GetString());
        Assert.Equal("SaveChanges committed: User added", first.GetProperty("detail").GetString());
        Assert.Contains("  CACHE INVALIDATE key=User.1 (automatic: raw SQL DELETE on Users)",
            body.RootElement.GetProperty("log").EnumerateArray().Select(l => l.GetString()));
    }
}
