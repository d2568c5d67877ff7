using System.Text.Json;
using QsetDashboard.Demos;
using QsetDashboard.Tests.Infrastructure;

namespace QsetDashboard.Tests.Api;

/// <summary>The database-down demo: a read served STALE by fail-safe (on in the sample) while the demo's database is down, then a fresh one.</summary>
public sealed class DatabaseDownDemoTests(AppHostFixture host) : IClassFixture<AppHostFixture>
{
    private readonly HttpClient _client = host.CreateClient();

    [Fact]
    public async Task WithTheSamplesFailSafeOn_TheReadWhileDownIsStale_SaysWhy_AndTheReadAfterIsFresh()
    {
        using var response = await _client.PostAsync("/api/demos/database-down/run", null);
        response.EnsureSuccessStatusCode();
        using var body = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        var log = body.RootElement.GetProperty("log").EnumerateArray().Select(l => l.GetString()!).ToList();

        Assert.Contains("Cache:FailSafeMaxDuration 00:10:00", log[0], StringComparison.Ordinal);
        var down = log.IndexOf("The database goes down (the demo's reads now fail as a refused connection does)");
        Assert.True(down > 0, string.Join("\n", log));
        var whileDown = log.Skip(down).ToList();
        Assert.Contains("  CACHE STALE key=User.1", whileDown);
        Assert.Contains(whileDown, l => l.StartsWith("Got User id=1 name=Alice (STALE: the database read failed (Connection refused)", StringComparison.Ordinal));
        Assert.Equal(["  CACHE MISS key=User.1", "  CACHE POPULATE key=User.1", "Got User id=1 name=Alice"], log[^3..]);
    }

    [Fact]
    public async Task WithFailSafeOff_TheReadWhileDownFails_AndTheTranscriptSaysWhy()
    {
        await using var engine = await EngineHost.StartAsync();
        var run = new DemoRun(engine.Demos.Find("database-down")!);

        await run.RunAllAsync();

        Assert.Equal("The read failed (Connection refused): Cache:FailSafeMaxDuration is 0, so fail-safe is off", run.Completed[5].Result);
        Assert.Equal("Got User id=1 name=Alice", run.Completed[7].Result);
    }
}
