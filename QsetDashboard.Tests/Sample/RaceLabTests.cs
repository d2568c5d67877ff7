using Qset.Caching;
using QsetDashboard.Demos;
using QsetDashboard.Tests.Infrastructure;

namespace QsetDashboard.Tests.Sample;

/// <summary>
/// The sample's race lab demo, walked step by step: the guard's race as the demo shows it. The populate guard's own tests,
/// without the sample, are <see cref="Engine.Reading.PopulateGuardTests"/>.
/// </summary>
public sealed class RaceLabTests
{
    [Fact]
    public async Task RaceLab_GuardOffServesStaleData_GuardOnRejectsAndServesFresh()
    {
        await using var host = await EngineHost.StartAsync();
        var run = new DemoRun(host.Demos.Find("race-lab")!);

        await run.RunAllAsync();

        var steps = run.Completed;
        Assert.Equal("Reader read name=v1 from the database and has not populated yet", steps[1].Result);
        Assert.Equal([CacheEventKind.Miss], steps[1].Events.Select(e => e.Kind));
        Assert.Equal([CacheEventKind.Populate], steps[3].Events.Select(e => e.Kind));
        Assert.Equal("Got User id=7 name=v1 (STALE: the database holds name=v2)", steps[4].Result);
        Assert.Equal([CacheEventKind.Hit], steps[4].Events.Select(e => e.Kind));
        Assert.Equal([CacheEventKind.Reject], steps[7].Events.Select(e => e.Kind));
        Assert.StartsWith("Reader's populate of name=v2 was rejected", steps[7].Result, StringComparison.Ordinal);
        Assert.Equal("Got User id=7 name=v3 (fresh: the database holds name=v3)", steps[8].Result);
        Assert.Equal([CacheEventKind.Miss, CacheEventKind.Populate], steps[8].Events.Select(e => e.Kind));
    }

    [Fact]
    public async Task RaceLab_TwoWalksInterleaved_EachHasItsOwnReader_AndNeitherHangs()
    {
        await using var host = await EngineHost.StartAsync();
        var scenario = host.Demos.Find("race-lab")!;
        var first = new DemoRun(scenario);
        var second = new DemoRun(scenario);
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(1));

        // The first tab stalls its reader; the second tab starts its own, which must not join the first's read.
        await first.NextAsync(timeout.Token);
        await first.NextAsync(timeout.Token);
        await second.NextAsync(timeout.Token);
        var secondReader = await second.NextAsync(timeout.Token);

        Assert.Equal("Reader read name=v1 from the database and has not populated yet", secondReader!.Result);
        Assert.Equal([CacheEventKind.Invalidate, CacheEventKind.Miss], secondReader.Events.Select(e => e.Kind));

        // The first tab's reader was let go by the second's start: resuming it says so, and nothing waits.
        await first.NextAsync(timeout.Token);
        var firstResume = (await first.NextAsync(timeout.Token))!;
        Assert.Contains("another walk of the race lab let this reader finish early", firstResume.Result, StringComparison.Ordinal);

        // The second walk, run to its end, still shows the race as the lab means it.
        await second.RunAllAsync(timeout.Token);
        Assert.Contains("fresh", second.Completed[8].Result, StringComparison.Ordinal);
        Assert.StartsWith("Reader's populate of name=v2 was rejected", second.Completed[7].Result, StringComparison.Ordinal);
    }

    [Fact]
    public async Task RaceLab_RunTwice_StartsCleanEachTime()
    {
        await using var host = await EngineHost.StartAsync();
        var scenario = host.Demos.Find("race-lab")!;
        var half = new DemoRun(scenario);
        await half.NextAsync();
        await half.NextAsync();

        var full = new DemoRun(scenario);
        await full.RunAllAsync();

        Assert.Contains("STALE", full.Completed[4].Result, StringComparison.Ordinal);
        Assert.Contains("fresh", full.Completed[8].Result, StringComparison.Ordinal);
    }
}
