using System.Text.Json;
using QsetDashboard.Demos;
using QsetDashboard.Tests.Infrastructure;

namespace QsetDashboard.Tests.Api;

/// <summary>The outside-writer demo: another connection's plain SQL write, seen by the change feed (on in the sample) or not (off).</summary>
public sealed class OutsideWriterDemoTests(AppHostFixture host) : IClassFixture<AppHostFixture>
{
    private readonly HttpClient _client = host.CreateClient();

    [Fact]
    public async Task WithTheSamplesFeedOn_TheOutsideWriteIsInvalidatedByTheDatabase_AndTheNextGetIsFresh()
    {
        using var response = await _client.PostAsync("/api/demos/outside-writer/run", null);
        response.EnsureSuccessStatusCode();
        using var body = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        var log = body.RootElement.GetProperty("log").EnumerateArray().Select(l => l.GetString()!).ToList();

        Assert.Contains("change feed live", log[0], StringComparison.Ordinal);
        var wait = log.IndexOf("Waiting for the database's change feed");
        Assert.StartsWith("  CACHE INVALIDATE key=User.1 (source database: committed in the database: Users row 1 changed (change #", log[wait + 1], StringComparison.Ordinal);
        Assert.Equal(["  CACHE MISS key=User.1", "  CACHE POPULATE key=User.1", "Got User id=1 name=Mallory"], log[^3..]);
        Assert.Contains("  CACHE HIT key=User.1", log);
    }

    [Fact]
    public async Task WithTheFeedOff_TheOldNameIsServed_AndTheTranscriptSaysWhy()
    {
        await using var engine = await EngineHost.StartAsync();
        var run = new DemoRun(engine.Demos.Find("outside-writer")!);

        await run.RunAllAsync();

        Assert.StartsWith("The change feed is off", run.Completed[4].Result, StringComparison.Ordinal);
        Assert.Equal("Got User id=1 name=Alice", run.Completed[5].Result);
        Assert.Equal(Qset.Caching.CacheEventKind.Hit, Assert.Single(run.Completed[5].Events).Kind);
    }
}
