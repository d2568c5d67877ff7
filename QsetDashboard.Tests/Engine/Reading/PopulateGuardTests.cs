using Qset.Caching;

namespace QsetDashboard.Tests.Engine.Reading;

/// <summary>The populate guard, held open with gates: a read that began before an invalidation never stores its value.</summary>
public sealed class PopulateGuardTests
{
    private static readonly CacheReadPolicy Guarded = CacheReadPolicy.ById<Book>();

    /// <summary>A reader of book 1 that misses and reads the row, then waits for the test before it populates.</summary>
    private sealed class SlowReader
    {
        public TaskCompletionSource HasRead { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public TaskCompletionSource Resume { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public Task<CacheRead<Book>> Start(EngineOnlyHost host) =>
            host.GetBookAsync(host.Entities.KeyOf<Book>(1), 1, async (_, _) =>
            {
                HasRead.SetResult();
                await Resume.Task;
            }).AsTask();
    }

    /// <summary>Book 1 titled "old", and a reader holding its read of it (it has read the row, not populated).</summary>
    private static async Task<(SlowReader Reader, Task<CacheRead<Book>> Read)> HeldReadAsync(EngineOnlyHost host)
    {
        await host.AddBookAsync(1, "old");
        var reader = new SlowReader();
        var read = reader.Start(host);
        await reader.HasRead.Task;
        return (reader, read);
    }

    [Fact]
    public async Task PopulateThatBeganBeforeAnInvalidation_IsRejected_AndTheNextReadIsFresh()
    {
        await using var host = await EngineOnlyHost.StartAsync();
        var (reader, read) = await HeldReadAsync(host);

        await host.SaveBookAsync(1, "new");
        reader.Resume.SetResult();
        var stale = await read;

        Assert.Equal("old", stale.Value!.Title);
        Assert.Equal(0, host.Cache.Store.Count);
        var reject = Assert.Single(host.Events(), e => e.Kind == CacheEventKind.Reject);
        Assert.Contains("invalidated", reject.Detail, StringComparison.Ordinal);
        Assert.Equal("new", (await host.Entities.FindAsync<Book>(1))!.Title);
    }

    [Fact]
    public async Task WithTheGuardOff_TheStaleValueStaysCachedAfterTheWrite()
    {
        await using var host = await EngineOnlyHost.StartAsync(s => s["Qset:GuardPopulate"] = "false");
        var (reader, read) = await HeldReadAsync(host);

        await host.SaveBookAsync(1, "new");
        reader.Resume.SetResult();
        await read;

        Assert.DoesNotContain(host.Events(), e => e.Kind == CacheEventKind.Reject);
        var served = await host.Entities.ReadAsync<Book>([1]);
        Assert.True(served.Hit);
        Assert.Equal("old", served.Value!.Title);
    }

    [Fact]
    public async Task AReadThatBeganBeforeAFlush_IsRejected()
    {
        await using var host = await EngineOnlyHost.StartAsync();
        var (reader, read) = await HeldReadAsync(host);

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

        // Bounded: a reader that joined the held read would wait for it forever; this one fails the test instead.
        var second = await host.Cache.GetAsync("Book.2", 2, load).AsTask().WaitAsync(TimeSpan.FromSeconds(10));
        resumeFirst.SetResult();
        await first;

        Assert.Equal("new", second.Value!.Title);
        Assert.Equal("new", Assert.IsType<Book>((await host.Store.GetAsync("Book.2"))!.Value).Title);
    }
}
