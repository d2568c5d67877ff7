using Qset.Caching;

namespace QsetDashboard.Tests.Engine.Reading;

/// <summary>The populate guard, held open with gates: a read that began before an invalidation never stores its value.</summary>
public sealed class PopulateGuardTests
{
    private static readonly CacheReadPolicy Guarded = CacheReadPolicy.ById<Book>();

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task AReadThatBeganBeforeAnInvalidation_IsRefused_UnlessItsPolicyTurnsTheGuardOff(bool guarded)
    {
        await using var host = await EngineOnlyHost.StartAsync();
        var readDone = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var resume = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        Func<int, CancellationToken, Task<Book?>> slowRead = async (id, _) =>
        {
            var old = new Book { Id = id, Title = "old" };
            readDone.SetResult();
            await resume.Task;
            return old;
        };

        var reader = host.Cache.GetAsync("Book.1", 1, slowRead, guarded ? Guarded : Guarded with { PopulateGuard = false }).AsTask();
        await readDone.Task;
        await host.Cache.InvalidateAsync("Book.1", nameof(Book), "a write committed during the read");
        resume.SetResult();
        Assert.Equal("old", (await reader).Value!.Title);

        var held = await host.Store.GetAsync("Book.1");
        if (guarded)
        {
            Assert.Null(held);
            Assert.Contains(host.Events(), e => e.Kind == CacheEventKind.Reject && e.Key == "Book.1");
        }
        else
        {
            Assert.Equal("old", Assert.IsType<Book>(held!.Value).Title);
        }
    }

    [Fact]
    public async Task AReaderArrivingAfterAnInvalidation_DoesNotJoinTheReadThatBeganBeforeIt()
    {
        await using var host = await EngineOnlyHost.StartAsync();
        var firstStarted = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var resumeFirst = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var calls = 0;
        Func<int, CancellationToken, Task<Book?>> load = async (id, _) =>
        {
            if (Interlocked.Increment(ref calls) == 1)
            {
                firstStarted.SetResult();
                await resumeFirst.Task;
                return new Book { Id = id, Title = "old" };
            }

            return new Book { Id = id, Title = "new" };
        };

        var first = host.Cache.GetAsync("Book.2", 2, load).AsTask();
        await firstStarted.Task;
        await host.Cache.InvalidateAsync("Book.2", nameof(Book));
        var second = await host.Cache.GetAsync("Book.2", 2, load);
        resumeFirst.SetResult();
        await first;

        Assert.Equal("new", second.Value!.Title);
        Assert.Equal("new", Assert.IsType<Book>((await host.Store.GetAsync("Book.2"))!.Value).Title);
    }
}
