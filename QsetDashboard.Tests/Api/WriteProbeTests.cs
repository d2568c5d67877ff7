using QsetDashboard.Api;
using QsetDashboard.Tests.Infrastructure;

namespace QsetDashboard.Tests.Api;

/// <summary>The write probe behind <c>/health</c> is shared by concurrent callers, so a flood holds one probe at a time.</summary>
public sealed class WriteProbeTests
{
    [Fact]
    public async Task CallersWhileAProbeRuns_ShareIt_AndTheNextCallerStartsANewOne()
    {
        var release = new TaskCompletionSource<string?>(TaskCreationOptions.RunContinuationsAsynchronously);
        var calls = 0;
        var probe = new DatabaseWriteProbe(_ =>
        {
            Interlocked.Increment(ref calls);
            return release.Task;
        });

        var waiting = Enumerable.Range(0, 50).Select(_ => probe.RunAsync()).ToList();
        await Eventually.TrueAsync(() => Volatile.Read(ref calls) == 1, "the shared probe starts");
        release.SetResult("database is locked");

        Assert.All(await Task.WhenAll(waiting), refusal => Assert.Equal("database is locked", refusal));
        Assert.Equal(1, Volatile.Read(ref calls));
        Assert.Equal(1, probe.Started);

        release = new TaskCompletionSource<string?>(TaskCreationOptions.RunContinuationsAsynchronously);
        release.SetResult(null);
        Assert.Null(await probe.RunAsync());
        Assert.Equal(2, Volatile.Read(ref calls));
    }

    [Fact]
    public async Task ACallerThatGivesUp_DoesNotCancelTheProbeTheOthersWaitFor()
    {
        var release = new TaskCompletionSource<string?>(TaskCreationOptions.RunContinuationsAsynchronously);
        var called = new TaskCompletionSource<CancellationToken>(TaskCreationOptions.RunContinuationsAsynchronously);
        var probe = new DatabaseWriteProbe(token =>
        {
            called.TrySetResult(token);
            return release.Task;
        });
        using var impatient = new CancellationTokenSource();

        // The impatient caller starts the probe; another joins it.
        var leaving = probe.RunAsync(impatient.Token);
        var patient = probe.RunAsync();
        var given = await called.Task;
        await impatient.CancelAsync();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => leaving);
        Assert.False(given.IsCancellationRequested, "the shared probe was given the impatient caller's token");
        release.SetResult(null);
        Assert.Null(await patient);
        Assert.Equal(1, probe.Started);
    }
}
