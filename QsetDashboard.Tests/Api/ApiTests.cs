using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using QsetDashboard.Tests.Infrastructure;

namespace QsetDashboard.Tests.Api;

/// <summary>The HTTP API end to end, over the real app on real Kestrel and a real SQLite file.</summary>
public sealed class ApiTests(AppHostFixture host) : IClassFixture<AppHostFixture>
{
    private readonly HttpClient _client = host.CreateClient();

    [Fact]
    public void Server_ListensOnLoopback()
    {
        Assert.Equal("127.0.0.1", _client.BaseAddress!.Host);
        Assert.NotEqual(0, _client.BaseAddress.Port);
    }

    [Fact]
    public async Task Health_ReportsDatabaseAndCache()
    {
        using var response = await _client.GetAsync("/health");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        using var body = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        Assert.Equal("Healthy", body.RootElement.GetProperty("status").GetString());
        Assert.Equal("Healthy", body.RootElement.GetProperty("checks").GetProperty("database").GetProperty("status").GetString());
        Assert.Equal("Healthy", body.RootElement.GetProperty("checks").GetProperty("cache").GetProperty("status").GetString());
    }

    [Fact]
    public async Task WebRoot_ServesTheDashboardsOwnStylesheet()
    {
        // The dashboard's own files are the Qset.Dashboard library's static web assets.
        using var response = await _client.GetAsync("/_content/Qset.Dashboard/app.css");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Contains(".qset-transcript", await response.Content.ReadAsStringAsync(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Demos_ListsTheSeedsThreeRuns()
    {
        using var body = JsonDocument.Parse(await _client.GetStringAsync("/api/demos"));

        var names = body.RootElement.EnumerateArray().Select(d => d.GetProperty("name").GetString()).ToList();
        Assert.Contains("simple", names);
        Assert.Contains("generic", names);
        Assert.Contains("cacheable", names);
        var cacheable = body.RootElement.EnumerateArray().Single(d => d.GetProperty("name").GetString() == "cacheable");
        Assert.Equal("Creating a team with id=1", cacheable.GetProperty("steps")[0].GetString());
    }

    [Fact]
    public async Task RunDemo_ReturnsStepsEventsAndTheSeedsLog()
    {
        using var response = await _client.PostAsync("/api/demos/cacheable/run", null);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        using var body = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        var steps = body.RootElement.GetProperty("steps");
        Assert.Equal(8, steps.GetArrayLength());
        Assert.Equal("First get of team with id=1", steps[1].GetProperty("title").GetString());
        Assert.Equal(["MISS", "POPULATE"], steps[1].GetProperty("events").EnumerateArray().Select(e => e.GetProperty("kind").GetString()));
        Assert.Equal("Team.1", steps[1].GetProperty("events")[0].GetProperty("key").GetString());
        Assert.Equal("Got Team id=1 name=Dev", steps[1].GetProperty("result").GetString());
        var log = body.RootElement.GetProperty("log").EnumerateArray().Select(l => l.GetString()).ToList();
        Assert.Equal("Got None", log[^1]);
        Assert.Contains("  CACHE HIT key=Team.1", log);
    }

    [Fact]
    public async Task RunRaceLab_OverHttp_ShowsTheStaleRoundAndTheRejectedRound()
    {
        using var response = await _client.PostAsync("/api/demos/race-lab/run", null);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        using var body = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        var steps = body.RootElement.GetProperty("steps");
        Assert.Contains("STALE", steps[4].GetProperty("result").GetString(), StringComparison.Ordinal);
        Assert.Equal("REJECT", steps[7].GetProperty("events")[0].GetProperty("kind").GetString());
        Assert.Contains("fresh", steps[8].GetProperty("result").GetString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task RunDemo_UnknownName_Is404ProblemDetails()
    {
        using var response = await _client.PostAsync("/api/demos/nope/run", null);

        await AssertProblemAsync(response, HttpStatusCode.NotFound, "No demo named 'nope'");
    }

    [Fact]
    public async Task Users_CrudThroughTheCache_WithXCacheHeader()
    {
        using var created = await _client.PostAsJsonAsync("/api/users", new { id = 501, name = "Alice" });
        Assert.Equal(HttpStatusCode.Created, created.StatusCode);

        using var miss = await _client.GetAsync("/api/users/501");
        using var hit = await _client.GetAsync("/api/users/501");
        Assert.Equal("MISS", miss.Headers.GetValues("X-Cache").Single());
        Assert.Equal("HIT", hit.Headers.GetValues("X-Cache").Single());
        Assert.Equal("Alice", (await hit.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("name").GetString());

        using var updated = await _client.PutAsJsonAsync("/api/users/501", new { name = "Jane" });
        Assert.Equal(HttpStatusCode.OK, updated.StatusCode);
        using var afterUpdate = await _client.GetAsync("/api/users/501");
        Assert.Equal("MISS", afterUpdate.Headers.GetValues("X-Cache").Single());
        Assert.Equal("Jane", (await afterUpdate.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("name").GetString());

        using var deleted = await _client.DeleteAsync("/api/users/501");
        Assert.Equal(HttpStatusCode.NoContent, deleted.StatusCode);
        using var gone = await _client.GetAsync("/api/users/501");
        await AssertProblemAsync(gone, HttpStatusCode.NotFound, "No User with id=501");
    }

    [Fact]
    public async Task Teams_CreateTwice_Is409_AndTheFirstStays()
    {
        using var first = await _client.PostAsJsonAsync("/api/teams", new { id = 601, name = "Dev" });
        using var second = await _client.PostAsJsonAsync("/api/teams", new { id = 601, name = "Ops" });

        Assert.Equal(HttpStatusCode.Created, first.StatusCode);
        await AssertProblemAsync(second, HttpStatusCode.Conflict, "already exists");
        Assert.Equal("Dev", (await _client.GetFromJsonAsync<JsonElement>("/api/teams/601")).GetProperty("name").GetString());
    }

    [Theory]
    [InlineData("0")]
    [InlineData("-1")]
    [InlineData("abc")]
    [InlineData("2147483648")]
    [InlineData("1.5")]
    [InlineData("%20")]
    public async Task BadId_Is400_OnEveryVerb(string id)
    {
        using var get = await _client.GetAsync($"/api/users/{id}");
        using var put = await _client.PutAsJsonAsync($"/api/users/{id}", new { name = "x" });
        using var delete = await _client.DeleteAsync($"/api/teams/{id}");

        await AssertProblemAsync(get, HttpStatusCode.BadRequest, "positive 32-bit integer");
        await AssertProblemAsync(put, HttpStatusCode.BadRequest, "positive 32-bit integer");
        await AssertProblemAsync(delete, HttpStatusCode.BadRequest, "positive 32-bit integer");
    }

    [Theory]
    [InlineData("{\"id\": 700, \"name\": \"\"}", "name")]
    [InlineData("{\"id\": 700, \"name\": \"   \"}", "name")]
    [InlineData("{\"id\": 700}", "name")]
    [InlineData("{\"id\": 700, \"name\": 5}", "name")]
    [InlineData("{\"id\": 0, \"name\": \"x\"}", "id")]
    [InlineData("{\"id\": \"7\", \"name\": \"x\"}", "id")]
    [InlineData("{\"id\": 99999999999, \"name\": \"x\"}", "id")]
    [InlineData("{\"name\": \"x\"}", "id")]
    [InlineData("{\"id\": 700, \"name\": \"x\"", "body")]
    [InlineData("[1, 2]", "body")]
    [InlineData("", "body")]
    [InlineData("not json", "body")]
    public async Task BadCreateBody_Is400_NamingTheField_AndWritesNothing(string json, string field)
    {
        using var response = await _client.PostAsync("/api/users", new StringContent(json, Encoding.UTF8, "application/json"));

        var problem = await AssertProblemAsync(response, HttpStatusCode.BadRequest, "");
        Assert.True(problem.GetProperty("errors").TryGetProperty(field, out _), $"errors should name '{field}': {problem}");
        using var missing = await _client.GetAsync("/api/users/700");
        Assert.Equal(HttpStatusCode.NotFound, missing.StatusCode);
    }

    [Fact]
    public async Task NameOver100Characters_Is400_AndTheRowIsUnchanged()
    {
        using var created = await _client.PostAsJsonAsync("/api/users", new { id = 801, name = "Ann" });
        using var response = await _client.PutAsJsonAsync("/api/users/801", new { name = new string('x', 101) });

        await AssertProblemAsync(response, HttpStatusCode.BadRequest, "at most 100 characters");
        Assert.Equal("Ann", (await _client.GetFromJsonAsync<JsonElement>("/api/users/801")).GetProperty("name").GetString());
    }

    [Fact]
    public async Task PutOrDelete_OfAMissingRow_Is404()
    {
        using var put = await _client.PutAsJsonAsync("/api/teams/9001", new { name = "x" });
        using var delete = await _client.DeleteAsync("/api/teams/9001");

        await AssertProblemAsync(put, HttpStatusCode.NotFound, "No Team with id=9001");
        await AssertProblemAsync(delete, HttpStatusCode.NotFound, "No Team with id=9001");
    }

    [Fact]
    public async Task CacheEntries_ShowKeyTypeValueSizeAndTimes()
    {
        using var created = await _client.PostAsJsonAsync("/api/teams", new { id = 901, name = "<script>x</script>" });
        await _client.GetAsync("/api/teams/901");

        var entries = await _client.GetFromJsonAsync<JsonElement>("/api/cache/entries");

        var entry = entries.EnumerateArray().Single(e => e.GetProperty("key").GetString() == "Team.901");
        Assert.Equal("Team", entry.GetProperty("type").GetString());
        Assert.Equal("<script>x</script>", entry.GetProperty("value").GetProperty("name").GetString());
        Assert.True(entry.GetProperty("sizeBytes").GetInt32() > 0);
        Assert.True(entry.GetProperty("expiresAt").GetDateTimeOffset() > entry.GetProperty("createdAt").GetDateTimeOffset());
    }

    [Fact]
    public async Task CacheEvents_PageAfterASequenceNumber_OldestFirst()
    {
        using var created = await _client.PostAsJsonAsync("/api/users", new { id = 1001, name = "Page" });
        var all = await _client.GetFromJsonAsync<JsonElement>("/api/cache/events?after=0&limit=10000");
        var last = all.EnumerateArray().Last().GetProperty("sequence").GetInt64();

        await _client.GetAsync("/api/users/1001");
        var after = await _client.GetFromJsonAsync<JsonElement>($"/api/cache/events?after={last}&limit=2");

        var kinds = after.EnumerateArray().Select(e => e.GetProperty("kind").GetString()).ToList();
        Assert.Equal(["MISS", "POPULATE"], kinds);
        Assert.All(after.EnumerateArray(), e => Assert.Equal("api", e.GetProperty("source").GetString()));
        Assert.True(after[0].GetProperty("sequence").GetInt64() > last);
    }

    [Theory]
    [InlineData("after=-1")]
    [InlineData("after=x")]
    [InlineData("limit=0")]
    [InlineData("limit=10001")]
    [InlineData("limit=ten")]
    public async Task CacheEvents_BadPaging_Is400(string query)
    {
        using var response = await _client.GetAsync($"/api/cache/events?{query}");

        await AssertProblemAsync(response, HttpStatusCode.BadRequest, "must be a whole number");
    }

    [Fact]
    public async Task Stats_AndFlush()
    {
        using var created = await _client.PostAsJsonAsync("/api/users", new { id = 1101, name = "Stat" });
        await _client.GetAsync("/api/users/1101");
        await _client.GetAsync("/api/users/1101");

        var stats = await _client.GetFromJsonAsync<JsonElement>("/api/cache/stats");
        Assert.True(stats.GetProperty("hits").GetInt64() >= 1);
        Assert.True(stats.GetProperty("hitRatio").GetDouble() > 0);
        Assert.Equal(100, stats.GetProperty("capacity").GetInt32());
        Assert.Equal("Memory", stats.GetProperty("backend").GetString());

        using var flush = await _client.PostAsync("/api/cache/flush", null);
        Assert.Equal(HttpStatusCode.NoContent, flush.StatusCode);
        var entries = await _client.GetFromJsonAsync<JsonElement>("/api/cache/entries");
        Assert.Equal(0, entries.GetArrayLength());
        using var afterFlush = await _client.GetAsync("/api/users/1101");
        Assert.Equal("MISS", afterFlush.Headers.GetValues("X-Cache").Single());
    }

    private static async Task<JsonElement> AssertProblemAsync(HttpResponseMessage response, HttpStatusCode status, string detailContains)
    {
        Assert.Equal(status, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        var problem = await response.Content.ReadFromJsonAsync<JsonElement>();
        Assert.Equal((int)status, problem.GetProperty("status").GetInt32());
        Assert.Contains(detailContains, problem.ToString(), StringComparison.Ordinal);
        return problem;
    }
}
