using Qset.Caching;
using QsetDashboard.Tests.Infrastructure;

namespace QsetDashboard.Tests.Engine.Reading;

/// <summary>The read path over a context of the tests' own: miss, one database read, populate, hit.</summary>
public sealed class CacheAsideTests
{
    [Fact]
    public async Task AMiss_ReadsTheDatabaseOnce_AndPopulates_SoTheNextReadIsAHit()
    {
        await using var host = await EngineOnlyHost.StartAsync();
        await host.AddBookAsync(1, "Dune");

        // The insert invalidated the key, after commit, as every write does: nothing was cached under it yet.
        var first = await host.Entities.ReadAsync<Book>([1]);
        var second = await host.Entities.ReadAsync<Book>([1]);

        Assert.False(first.Hit);
        Assert.True(second.Hit);
        Assert.Equal("Dune", second.Value!.Title);
        Assert.Equal(1, host.Cache.GetStats().DbQueries);
        var key = host.Entities.KeyOf<Book>(1);
        Assert.Equal("LibraryDb:Book.1", key);
        Assert.Equal(
            [CacheEventKind.Invalidate, CacheEventKind.Miss, CacheEventKind.Populate, CacheEventKind.Hit],
            host.Events().Where(e => e.Key == key).Select(e => e.Kind));
    }

    [Fact]
    public async Task AMissingRow_IsNotCached_AndIsReadAgainNextTime()
    {
        await using var host = await EngineOnlyHost.StartAsync();

        Assert.Null(await host.Entities.FindAsync<Book>(404));
        Assert.Null(await host.Entities.FindAsync<Book>(404));

        Assert.Equal(2, host.Cache.GetStats().DbQueries);
        Assert.Null(await host.Browser.PeekAsync(host.Entities.KeyOf<Book>(404)));
    }

    [Fact]
    public async Task ConcurrentColdReadsOfOneKey_ShareOneDatabaseRead()
    {
        await using var host = await EngineOnlyHost.StartAsync();
        var release = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var loads = 0;
        Func<int, CancellationToken, Task<Book?>> load = async (id, _) =>
        {
            Interlocked.Increment(ref loads);
            await release.Task;
            return new Book { Id = id, Title = "Once" };
        };

        var readers = Enumerable.Range(0, 200).Select(_ => host.Cache.GetAsync("Book.7", 7, load).AsTask()).ToList();
        await Eventually.TrueAsync(() => Volatile.Read(ref loads) == 1, "the first reader's load has begun");
        release.SetResult();
        var reads = await Task.WhenAll(readers);

        Assert.Equal(1, loads);
        Assert.All(reads, read => Assert.Equal("Once", read.Value!.Title));
    }

    [Fact]
    public async Task AFailingLoad_ReachesEveryWaiter_AndCachesNothing()
    {
        await using var host = await EngineOnlyHost.StartAsync();
        var release = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        Func<int, CancellationToken, Task<Book?>> load = async (_, _) =>
        {
            await release.Task;
            throw new TimeoutException("the database did not answer");
        };

        var readers = Enumerable.Range(0, 10).Select(_ => host.Cache.GetAsync("Book.9", 9, load).AsTask()).ToList();
        release.SetResult();

        foreach (var reader in readers)
        {
            await Assert.ThrowsAsync<TimeoutException>(() => reader);
        }

        Assert.Null(await host.Store.GetAsync("Book.9"));
        Assert.Single(host.Events(), e => e.Kind == CacheEventKind.Error && e.Key == "Book.9");
    }
}
