using Qset.Caching;
using QsetDashboard.Demos;
using QsetDashboard.Tests.Infrastructure;

namespace QsetDashboard.Tests.Sample;

public sealed class DemoTests
{
    /// <summary>The seed's log for one run, line for line (with <c>name=</c> for its <c>mame=</c> typo).</summary>
    private static string[] SeedLog(string prefix, string noun, string type, string key, string first, string second) =>
    [
        $"Creating a {noun} with id=1",
        $"  {prefix} INVALIDATE key={key}",
        $"First get of {noun} with id=1",
        $"  {prefix} MISS key={key}",
        $"  {prefix} POPULATE key={key}",
        $"Got {type} id=1 name={first}",
        $"Second get of {noun} with id=1",
        $"  {prefix} HIT key={key}",
        $"Got {type} id=1 name={first}",
        $"Updating {noun} with id=1",
        $"  {prefix} INVALIDATE key={key}",
        $"First get of updated {noun} with id=1",
        $"  {prefix} MISS key={key}",
        $"  {prefix} POPULATE key={key}",
        $"Got {type} id=1 name={second}",
        $"Second get of updated {noun} with id=1",
        $"  {prefix} HIT key={key}",
        $"Got {type} id=1 name={second}",
        $"Removing {noun} with id=1",
        $"  {prefix} INVALIDATE key={key}",
        $"Get removed {noun} with id=1",
        $"  {prefix} MISS key={key}",
        "Got None",
    ];

    public static TheoryData<string, string[]> SeedRuns => new()
    {
        { "simple", SeedLog("Cache", "user", "User", "1", "Alice", "Jane") },
        { "generic", SeedLog("CACHE", "user", "User", "User.1", "Alice", "Jane") },
        { "cacheable", SeedLog("CACHE", "team", "Team", "Team.1", "Dev", "Ops") },
    };

    [Theory]
    [MemberData(nameof(SeedRuns))]
    public async Task RunAll_MatchesTheSeedsLogLineForLine(string name, string[] expected)
    {
        await using var host = await EngineHost.StartAsync();
        var run = new DemoRun(host.Demos.Find(name)!);

        await run.RunAllAsync();

        Assert.StartsWith("Testing ", run.Log[0], StringComparison.Ordinal);
        Assert.Equal(expected, run.Log.Skip(1));
    }

    [Theory]
    [InlineData("simple")]
    [InlineData("generic")]
    [InlineData("cacheable")]
    public async Task RunAll_Twice_StartsFromACleanStateEachTime(string name)
    {
        await using var host = await EngineHost.StartAsync();
        var scenario = host.Demos.Find(name)!;
        await new DemoRun(scenario).RunAllAsync();

        var second = new DemoRun(scenario);
        await second.RunAllAsync();

        Assert.Equal(8, second.Completed.Count);
        Assert.Equal([CacheEventKind.Miss, CacheEventKind.Populate], second.Completed[1].Events.Select(e => e.Kind));
    }

    [Fact]
    public async Task Next_RunsOneStepAtATime_AndEventsCarryTheDemosName()
    {
        await using var host = await EngineHost.StartAsync();
        var run = new DemoRun(host.Demos.Find("generic")!);

        var first = await run.NextAsync();
        var second = await run.NextAsync();

        Assert.Equal(0, first!.Index);
        Assert.Equal(1, second!.Index);
        Assert.Equal("Got User id=1 name=Alice", second.Result);
        Assert.Equal(2, run.NextIndex);
        Assert.All(second.Events, e => Assert.Equal("generic", e.Source));
    }

    [Fact]
    public async Task Reset_PutsTheRunBeforeItsFirstStep_WithItsKeysCleared()
    {
        await using var host = await EngineHost.StartAsync();
        var run = new DemoRun(host.Demos.Find("cacheable")!);
        await run.NextAsync();
        await run.NextAsync();
        Assert.Equal(1, host.Cache.Store.Count);

        await run.ResetAsync();

        Assert.Equal(0, run.NextIndex);
        Assert.Equal(0, host.Cache.Store.Count);
        Assert.Null(await host.Repository.FindAsync<QsetDashboard.Data.Team>(1));
    }

    [Fact]
    public async Task ClashDemo_ShowsTheKeyClash()
    {
        await using var host = await EngineHost.StartAsync();
        var run = new DemoRun(host.Demos.Find("clash")!);

        await run.RunAllAsync();

        Assert.Equal("Got Team id=1 name=Dev", run.Completed[2].Result);
        Assert.Equal(CacheEventKind.Clash, run.Completed[2].Events[0].Kind);
        Assert.Equal(CacheEventKind.Clash, run.Completed[3].Events[0].Kind);
        Assert.Contains("  Cache CLASH key=1", run.Log);
    }
}
