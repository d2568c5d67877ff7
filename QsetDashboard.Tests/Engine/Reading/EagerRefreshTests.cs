using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;
using Qset.Caching;
using QsetDashboard.Tests.Infrastructure;

namespace QsetDashboard.Tests.Engine.Reading;

/// <summary>
/// Eager refresh: a hit past the threshold of its TTL is answered from the cache and starts one background read of the
/// key, which populates it anew before it expires; a write during that read refuses its populate.
/// </summary>
public sealed class EagerRefreshTests
{
    private static readonly TimeSpan Ttl = TimeSpan.FromSeconds(100);

    /// <summary>Counts the reads it is asked for; a read may be held until the test lets it go.</summary>
    private sealed class CountingDatabase(EngineOnlyHost host)
    {
        private int _reads;

        public int Reads => Volatile.Read(ref _reads);

        public TaskCompletionSource? Hold { get; set; }

        public async Task<Book?> LoadAsync(CancellationToken cancellationToken)
        {
            Interlocked.Increment(ref _reads);
            if (Hold is { } hold)
            {
                await hold.Task;
            }

            await using var db = host.NewContext();
            return await db.Books.FindAsync([1], cancellationToken);
        }
    }

    private static async Task<(EngineOnlyHost Host, FakeTimeProvider Time, CountingDatabase Database)> StartAsync()
    {
        var time = new FakeTimeProvider(new DateTimeOffset(2026, 12, 8, 12, 0, 0, TimeSpan.Zero));
        var host = await EngineOnlyHost.StartAsync(s =>
        {
            s["Qset:DefaultTtl"] = Ttl.ToString();
            s["Qset:EagerRefreshThreshold"] = "0.8";
        }, time);
        await host.AddBookAsync(1, "Alice");
        return (host, time, new CountingDatabase(host));
    }

    private static ValueTask<CacheRead<Book>> ReadAsync(EngineOnlyHost host, CountingDatabase database) =>
        host.Cache.GetAsync<Book, CountingDatabase>("Book.1", database, (db, ct) => db.LoadAsync(ct));

    private static async Task RenameAsync(EngineOnlyHost host, string title)
    {
        await using var db = host.NewContext();
        (await db.Books.FindAsync(1))!.Title = title;
        await db.SaveChangesAsync();
    }

    [Fact]
    public async Task AHitPastTheThreshold_IsServedFromTheCache_AndOneBackgroundReadRepopulatesTheKey()
    {
        var (host, time, database) = await StartAsync();
        await using var _ = host;
        await ReadAsync(host, database);

        time.Advance(TimeSpan.FromSeconds(79));
        Assert.True((await ReadAsync(host, database)).Hit);
        Assert.Equal(1, database.Reads);
        Assert.DoesNotContain(host.Events(), e => e.Kind == CacheEventKind.Refresh);

        // Renamed behind the engine's back (the raw key is nobody's table): only the refresh can bring it in.
        await RenameAsync(host, "Alicia");
        time.Advance(TimeSpan.FromSeconds(2));
        database.Hold = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var reads = await Task.WhenAll(Enumerable.Range(0, 20).Select(_ => ReadAsync(host, database).AsTask()));
        Assert.All(reads, r => Assert.True(r.Hit && r.Value!.Title == "Alice", "answered from the cache meanwhile"));
        database.Hold.SetResult();

        await Eventually.TrueAsync(async () => (await host.Browser.PeekAsync("Book.1"))?.Value is Book { Title: "Alicia" }, "the refresh populated the key anew");
        Assert.Equal(2, database.Reads);
        var refresh = Assert.Single(host.Events(), e => e.Kind == CacheEventKind.Refresh);
        Assert.Contains("a hit at 81% of its TTL", refresh.Detail, StringComparison.Ordinal);
        Assert.Equal(1, host.Cache.GetStats().Refreshes);

        time.Advance(TimeSpan.FromSeconds(50));
        var later = await ReadAsync(host, database);
        Assert.True(later.Hit, "the refreshed entry has a TTL of its own: still live past the first one's");
        Assert.Equal("Alicia", later.Value!.Title);
    }

    [Fact]
    public async Task AWriteDuringTheRefresh_RefusesItsPopulate()
    {
        var (host, time, database) = await StartAsync();
        await using var _ = host;
        await ReadAsync(host, database);
        time.Advance(TimeSpan.FromSeconds(81));
        database.Hold = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        await ReadAsync(host, database);
        await Eventually.TrueAsync(() => database.Reads == 2, "the refresh's read began");

        await host.Cache.InvalidateAsync("Book.1", "Book", "renamed during the refresh");
        database.Hold.SetResult();

        await Eventually.TrueAsync(() => host.Events().Any(e => e.Kind == CacheEventKind.Reject), "the refresh's populate was refused");
        Assert.Null(await host.Browser.PeekAsync("Book.1"));
    }

    [Theory]
    [InlineData("1")]
    [InlineData("-0.5")]
    public async Task AThresholdOutsideZeroToOne_FailsAtStart(string threshold)
    {
        var failure = await Assert.ThrowsAsync<OptionsValidationException>(() => EngineOnlyHost.StartAsync(s => s["Qset:EagerRefreshThreshold"] = threshold));
        Assert.Contains("Qset:EagerRefreshThreshold must be 0 (off) or between 0 and 1 exclusive", failure.Message, StringComparison.Ordinal);
    }
}
