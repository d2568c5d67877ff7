using Qset.Caching;
using QsetDashboard.Data;
using QsetDashboard.Demos;
using QsetDashboard.Tests.Infrastructure;

namespace QsetDashboard.Tests.Concurrency;

public sealed class PopulateGuardTests
{
    /// <summary>A reader that misses and reads the old row, then waits for the test before it populates.</summary>
    private sealed class SlowReader
    {
        public TaskCompletionSource HasRead { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public TaskCompletionSource Resume { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public Task<CacheRead<User>> Start(EngineHost host) =>
            host.Cache.GetAsync("User.1", (host.Repository, this), static async (s, ct) =>
            {
                var user = await s.Repository.FindAsync<User>(1, ct);
                s.Item2.HasRead.SetResult();
                await s.Item2.Resume.Task;
                return user;
            }).AsTask();
    }

    [Fact]
    public async Task PopulateThatBeganBeforeAnInvalidation_IsRejected_AndTheNextReadIsFresh()
    {
        await using var host = await EngineHost.StartAsync();
        await host.Generic.SetAsync(1, new User { Name = "old" });
        var reader = new SlowReader();

        var read = reader.Start(host);
        await reader.HasRead.Task;
        await host.Generic.SetAsync(1, new User { Name = "new" });
        reader.Resume.SetResult();
        var stale = await read;

        Assert.Equal("old", stale.Value!.Name);
        Assert.Equal(0, host.Cache.Store.Count);
        var reject = Assert.Single(host.Events(), e => e.Kind == CacheEventKind.Reject);
        Assert.Contains("invalidated", reject.Detail, StringComparison.Ordinal);
        Assert.Equal("new", (await host.Generic.GetAsync<User>(1))!.Name);
    }

    [Fact]
    public async Task WithTheGuardOff_TheStaleValueStaysCachedAfterTheWrite()
    {
        await using var host = await EngineHost.StartAsync(s => s["Cache:GuardPopulate"] = "false");
        await host.Generic.SetAsync(1, new User { Name = "old" });
        var reader = new SlowReader();

        var read = reader.Start(host);
        await reader.HasRead.Task;
        await host.Generic.SetAsync(1, new User { Name = "new" });
        reader.Resume.SetResult();
        await read;

        Assert.DoesNotContain(host.Events(), e => e.Kind == CacheEventKind.Reject);
        var served = await host.Generic.ReadAsync<User>(1);
        Assert.True(served.Hit);
        Assert.Equal("old", served.Value!.Name);
    }

    [Fact]
    public async Task ANewReaderAfterTheWrite_NeverJoinsTheOldInFlightRead()
    {
        await using var host = await EngineHost.StartAsync();
        await host.Generic.SetAsync(1, new User { Name = "old" });
        var reader = new SlowReader();
        var first = reader.Start(host);
        await reader.HasRead.Task;

        await host.Generic.SetAsync(1, new User { Name = "new" });
        var after = await host.Generic.ReadAsync<User>(1).AsTask().WaitAsync(TimeSpan.FromSeconds(10));

        Assert.Equal("new", after.Value!.Name);
        reader.Resume.SetResult();
        await first;
        Assert.Equal("new", ((User)(await host.Cache.Store.GetAsync("User.1"))!.Value).Name);
    }

    [Fact]
    public async Task AReadThatBeganBeforeAFlush_IsRejected()
    {
        await using var host = await EngineHost.StartAsync();
        await host.Generic.SetAsync(1, new User { Name = "old" });
        var reader = new SlowReader();
        var read = reader.Start(host);
        await reader.HasRead.Task;

        await host.Cache.FlushAsync();
        reader.Resume.SetResult();
        await read;

        Assert.Equal(0, host.Cache.Store.Count);
        Assert.Single(host.Events(), e => e.Kind == CacheEventKind.Reject);
    }

    [Fact]
    public void InvalidationStamps_StayBounded_AndAForgottenKeyIsJudgedConservatively()
    {
        var stamps = new InvalidationStamps(maxKeys: 8);
        var ticket = stamps.Now;

        for (var i = 0; i < 1_000; i++)
        {
            stamps.Stamp($"k{i}");
        }

        Assert.True(stamps.TrackedKeys <= 8);
        Assert.True(stamps.LastInvalidation("k0") > ticket, "a forgotten key must still refuse a populate that began before its invalidation");
        Assert.True(stamps.LastInvalidation("never-seen") > ticket, "the floor covers every forgotten key");
        Assert.Equal(1_000, stamps.LastInvalidation("k999"));
        Assert.True(stamps.LastInvalidation("k0") <= stamps.Now);
    }

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
