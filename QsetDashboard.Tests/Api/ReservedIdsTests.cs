using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using QsetDashboard.Demos;
using QsetDashboard.Tests.Infrastructure;

namespace QsetDashboard.Tests.Api;

/// <summary>The demos' rows are reserved: the API refuses to write them with a 409 that says why, reads still work, and a demo never touches a row the user wrote.</summary>
public sealed class ReservedIdsTests(AppHostFixture host) : IClassFixture<AppHostFixture>
{
    private readonly HttpClient _client = host.CreateClient();

    public static TheoryData<string, int> ReservedRows() => new()
    {
        { "users", DemoIds.SeedId },
        { "users", DemoIds.RaceLabUserId },
        { "users", DemoIds.QuerySetsFirstUserId },
        { "users", 250 },
        { "users", DemoIds.QuerySetsLastUserId },
        { "users", QsetDashboard.Load.LoadGenerator.FirstId },
        { "users", QsetDashboard.Load.LoadGenerator.LastId },
        { "teams", DemoIds.SeedId },
    };

    [Theory]
    [MemberData(nameof(ReservedRows))]
    public async Task WritingAReservedId_Is409_SayingWhy(string path, int id)
    {
        using var create = await _client.PostAsJsonAsync($"/api/{path}", new { id, name = "Important customer" });
        using var update = await _client.PutAsJsonAsync($"/api/{path}/{id}", new { name = "Important customer" });
        using var delete = await _client.DeleteAsync($"/api/{path}/{id}");

        foreach (var response in new[] { create, update, delete })
        {
            await Problem.AssertAsync(response, HttpStatusCode.Conflict, $"id {id} is reserved for the demos");
        }
    }

    [Theory]
    [InlineData("users", 2)]
    [InlineData("users", 200)]
    [InlineData("users", 300)]
    [InlineData("users", 100_000)]
    [InlineData("users", 110_001)]
    [InlineData("teams", 7)]
    [InlineData("teams", 201)]
    public async Task TheIdsNextToTheReservedOnes_AreTheUsers(string path, int id)
    {
        using var create = await _client.PostAsJsonAsync($"/api/{path}", new { id, name = "Mine" });
        using var delete = await _client.DeleteAsync($"/api/{path}/{id}");

        Assert.Equal(HttpStatusCode.Created, create.StatusCode);
        Assert.Equal(HttpStatusCode.NoContent, delete.StatusCode);
    }

    [Fact]
    public async Task AReservedRow_CanStillBeRead()
    {
        using var run = await _client.PostAsync("/api/demos/race-lab/run", null);
        Assert.Equal(HttpStatusCode.OK, run.StatusCode);

        var user = await _client.GetFromJsonAsync<JsonElement>($"/api/users/{DemoIds.RaceLabUserId}");

        Assert.Equal("v3", user.GetProperty("name").GetString());
    }

    [Fact]
    public async Task EveryDemo_LeavesTheUsersOwnRowsAlone()
    {
        using (var mine = await _client.PostAsJsonAsync("/api/users", new { id = 301, name = "Important customer" }))
        {
            Assert.Equal(HttpStatusCode.Created, mine.StatusCode);
        }

        using (var mine = await _client.PostAsJsonAsync("/api/teams", new { id = 2, name = "Important team" }))
        {
            Assert.Equal(HttpStatusCode.Created, mine.StatusCode);
        }

        var demos = await _client.GetFromJsonAsync<JsonElement>("/api/demos");
        foreach (var name in demos.EnumerateArray().Select(d => d.GetProperty("name").GetString()))
        {
            using var run = await _client.PostAsync($"/api/demos/{name}/run", null);
            Assert.Equal(HttpStatusCode.OK, run.StatusCode);
        }

        var users = await _client.GetFromJsonAsync<JsonElement>("/api/users");
        var teams = await _client.GetFromJsonAsync<JsonElement>("/api/teams");
        Assert.Contains(users.EnumerateArray(), u => u.GetProperty("id").GetInt32() == 301 && u.GetProperty("name").GetString() == "Important customer");
        Assert.Contains(teams.EnumerateArray(), t => t.GetProperty("id").GetInt32() == 2 && t.GetProperty("name").GetString() == "Important team");
        Assert.All(users.EnumerateArray(), u => Assert.True(
            u.GetProperty("id").GetInt32() == 301 || DemoIds.IsReservedUser(u.GetProperty("id").GetInt32()),
            $"a demo wrote a user outside the reserved ids: {u}"));
        Assert.All(teams.EnumerateArray(), t => Assert.True(
            t.GetProperty("id").GetInt32() == 2 || DemoIds.IsReservedTeam(t.GetProperty("id").GetInt32()),
            $"a demo wrote a team outside the reserved ids: {t}"));
    }
}
