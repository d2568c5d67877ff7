using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;
using Qset.Caching;
using QsetDashboard.Tests.Infrastructure;

namespace QsetDashboard.Tests.Engine.Reading;

/// <summary>
/// Fail-safe: when the database read that would replace an expired value fails, the value is served, marked stale,
/// for at most <c>FailSafeMaxDuration</c> past its TTL and never once a write invalidated it; the failing database is
/// asked again only after the throttle. The database here fails on demand; <c>FailSafeOutageTests</c> stops a real one.
/// </summary>
public sealed class FailSafeTests
{
    private static readonly TimeSpan Ttl = TimeSpan.FromMinutes(1);

    /// <summary>A database that can be made to fail, counting the reads it is asked for.</summary>
    private sealed class FlakyDatabase(EngineOnlyHost host)
    {
        public bool Down { get; set; }

        /// <summary>When set, a read waits for it (a slow database), honouring its cancellation.</summary>
        public TaskCompletionSource? Slow { get; set; }

        public int Reads { get; private set; }

        public async Task<Book?> LoadAsync(int id, CancellationToken cancellationToken)
        {
            Reads++;
            if (Slow is { } slow)
            {
                await slow.Task.WaitAsync(cancellationToken);
            }

            if (Down)
            {
                throw new InvalidOperationException("connection refused");
            }

            await using var db = host.NewContext();
            return await db.Books.FindAsync([id], cancellationToken);
        }
    }

    private static async Task<(EngineOnlyHost Host, FakeTimeProvider Time, FlakyDatabase Database)> StartAsync(
        bool failSafe = true, string? softTimeout = null, string? hardTimeout = null)
    {
        var time = new FakeTimeProvider(new DateTimeOffset(2026, 12, 8, 12, 0, 0, TimeSpan.Zero));
        var host = await EngineOnlyHost.StartAsync(s =>
        {
            s["Qset:DefaultTtl"] = Ttl.ToString();
            s["Qset:FactorySoftTimeout"] = softTimeout;
            s["Qset:FactoryHardTimeout"] = hardTimeout;
            if (failSafe)
            {
                s["Qset:FailSafeMaxDuration"] = "00:10:00";
                s["Qset:FailSafeThrottle"] = "00:00:30";
            }
        }, time);
        await host.AddBookAsync(1, "Alice");
        return (host, time, new FlakyDatabase(host));
    }

    private static ValueTask<CacheRead<Book>> ReadAsync(EngineOnlyHost host, FlakyDatabase database) =>
        host.Cache.GetAsync<Book, FlakyDatabase>("Book.1", database, (db, ct) => db.LoadAsync(1, ct));

    [Fact]
    public async Task AnExpiredValue_IsServedStale_WhenTheDatabaseReadFails_AndSaysWhy()
    {
        var (host, time, database) = await StartAsync();
        await using var _ = host;
        Assert.False((await ReadAsync(host, database)).Stale);
        time.Advance(Ttl + TimeSpan.FromSeconds(1));
        database.Down = true;

        var read = await ReadAsync(host, database);

        Assert.True(read.Stale);
        Assert.False(read.Hit, "the database was asked");
        Assert.Equal("Alice", read.Value!.Title);
        Assert.Contains("the database read failed (connection refused)", read.StaleReason, StringComparison.Ordinal);
        var stale = Assert.Single(host.Events(), e => e.Kind == CacheEventKind.Stale);
        Assert.Equal("Book.1", stale.Key);
        Assert.Equal(read.StaleReason, stale.Detail);
        Assert.Equal(1, host.Cache.GetStats().Stale);
        Assert.DoesNotContain(host.Events(), e => e.Kind == CacheEventKind.Error);
    }

    [Fact]
    public async Task TheFailingDatabase_IsAskedAgainOnlyAfterTheThrottle_TheReadsBetweenAreStaleHits()
    {
        var (host, time, database) = await StartAsync();
        await using var _ = host;
        await ReadAsync(host, database);
        time.Advance(Ttl + TimeSpan.FromSeconds(1));
        database.Down = true;
        await ReadAsync(host, database);
        var asked = database.Reads;

        time.Advance(TimeSpan.FromSeconds(10));
        var again = await ReadAsync(host, database);

        Assert.True(again.Stale && again.Hit, "served from the cache, not the database");
        Assert.Equal(asked, database.Reads);

        time.Advance(TimeSpan.FromSeconds(21));
        database.Down = false;
        var fresh = await ReadAsync(host, database);
        Assert.False(fresh.Stale);
        Assert.Equal(asked + 1, database.Reads);
        Assert.False((await ReadAsync(host, database)).Stale);
    }

    [Fact]
    public async Task AValueAWriteInvalidated_IsNeverServedStale_TheReadFails()
    {
        var (host, time, database) = await StartAsync();
        await using var _ = host;
        await ReadAsync(host, database);
        await host.Cache.InvalidateAsync("Book.1", "Book", "renamed elsewhere");
        time.Advance(Ttl + TimeSpan.FromSeconds(1));
        database.Down = true;

        await Assert.ThrowsAsync<InvalidOperationException>(async () => await ReadAsync(host, database));
        Assert.DoesNotContain(host.Events(), e => e.Kind == CacheEventKind.Stale);
    }

    [Fact]
    public async Task AWriteOfTheTypesTable_RefusesTheCopyThroughTheGuard_EvenWhenTheShelfDidNotHearOfIt()
    {
        var (host, time, database) = await StartAsync();
        await using var _ = host;
        await ReadAsync(host, database);

        // A bulk write stamps the whole type in the store; nothing tells the shelf, the guard refuses the copy.
        await host.Cache.InvalidateTypeAsync("Book", "a bulk write to Books");
        time.Advance(Ttl + TimeSpan.FromSeconds(1));
        database.Down = true;

        await Assert.ThrowsAsync<InvalidOperationException>(async () => await ReadAsync(host, database));
        var reject = Assert.Single(host.Events(), e => e.Kind == CacheEventKind.Reject);
        Assert.Contains("fail-safe did not serve the last value", reject.Detail, StringComparison.Ordinal);
    }

    [Fact]
    public async Task PastItsMaximum_AndAfterAFlush_NothingIsServedStale()
    {
        var (host, time, database) = await StartAsync();
        await using var _ = host;
        await ReadAsync(host, database);
        time.Advance(Ttl + TimeSpan.FromMinutes(10) + TimeSpan.FromSeconds(1));
        database.Down = true;
        await Assert.ThrowsAsync<InvalidOperationException>(async () => await ReadAsync(host, database));

        database.Down = false;
        await ReadAsync(host, database);
        await host.Cache.FlushAsync();
        time.Advance(Ttl + TimeSpan.FromSeconds(1));
        database.Down = true;
        await Assert.ThrowsAsync<InvalidOperationException>(async () => await ReadAsync(host, database));
        Assert.DoesNotContain(host.Events(), e => e.Kind == CacheEventKind.Stale);
    }

    [Fact]
    public async Task Off_ByDefault_AFailingReadFails()
    {
        var (host, time, database) = await StartAsync(failSafe: false);
        await using var _ = host;
        await ReadAsync(host, database);
        time.Advance(Ttl + TimeSpan.FromSeconds(1));
        database.Down = true;

        await Assert.ThrowsAsync<InvalidOperationException>(async () => await ReadAsync(host, database));
    }

    [Fact]
    public async Task PastTheSoftTimeout_ReadersGetTheLastValue_AndTheReadPopulatesWhenItEnds()
    {
        var (host, time, database) = await StartAsync(softTimeout: "00:00:00.500");
        await using var _ = host;
        await ReadAsync(host, database);
        time.Advance(Ttl + TimeSpan.FromSeconds(1));
        database.Slow = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var pending = ReadAsync(host, database).AsTask();
        Assert.False(pending.IsCompleted, "the readers wait up to the soft timeout");

        time.Advance(TimeSpan.FromMilliseconds(500));
        var stale = await pending;
        Assert.True(stale.Stale);
        Assert.Contains("longer than the soft timeout of 500 ms", stale.StaleReason, StringComparison.Ordinal);

        database.Slow.SetResult();
        await Eventually.TrueAsync(() => host.Events().Any(e => e.Kind == CacheEventKind.Populate && e.Sequence > host.Events().First(s => s.Kind == CacheEventKind.Stale).Sequence),
            "the read that went on populated the key");
        var fresh = await ReadAsync(host, database);
        Assert.True(fresh.Hit && !fresh.Stale, host.DumpEvents());
    }

    [Fact]
    public async Task AWriteDuringTheBackgroundRead_RefusesItsPopulate()
    {
        var (host, time, database) = await StartAsync(softTimeout: "00:00:00.500");
        await using var _ = host;
        await ReadAsync(host, database);
        time.Advance(Ttl + TimeSpan.FromSeconds(1));
        database.Slow = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var pending = ReadAsync(host, database).AsTask();
        time.Advance(TimeSpan.FromMilliseconds(500));
        Assert.True((await pending).Stale);

        await host.Cache.InvalidateAsync("Book.1", "Book", "renamed while the slow read ran");
        database.Slow.SetResult();

        await Eventually.TrueAsync(() => host.Events().Any(e => e.Kind == CacheEventKind.Reject), "the background read's populate was refused");
        Assert.False((await ReadAsync(host, database)).Hit, "nothing stale was left in the cache");
    }

    [Fact]
    public async Task PastTheHardTimeout_TheReadFails_OrFailSafeAnswersWhenItHasAValue()
    {
        var (host, time, database) = await StartAsync(hardTimeout: "00:00:02");
        await using var _ = host;
        database.Slow = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var first = ReadAsync(host, database).AsTask();
        time.Advance(TimeSpan.FromSeconds(2));
        var failure = await Assert.ThrowsAsync<TimeoutException>(() => first);
        Assert.Contains("longer than the hard timeout of 2000 ms", failure.Message, StringComparison.Ordinal);

        database.Slow = null;
        await ReadAsync(host, database);
        time.Advance(Ttl + TimeSpan.FromSeconds(1));
        database.Slow = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var second = ReadAsync(host, database).AsTask();
        time.Advance(TimeSpan.FromSeconds(2));
        var stale = await second;
        Assert.True(stale.Stale);
        Assert.Contains("hard timeout", stale.StaleReason, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("FailSafeMaxDuration", "-00:00:01", "Qset:FailSafeMaxDuration must be between 00:00:00 (off) and 7.00:00:00")]
    [InlineData("FactoryHardTimeout", "-00:00:01", "Qset:FactoryHardTimeout must be between 00:00:00 (none) and 00:10:00")]
    [InlineData("FailSafeThrottle", "00:00:00", "Qset:FailSafeThrottle must be between 00:00:00.100 and 01:00:00")]
    public async Task BadSettings_FailAtStart_NamingTheKey(string key, string value, string message)
    {
        var failure = await Assert.ThrowsAsync<OptionsValidationException>(() => EngineOnlyHost.StartAsync(s => s[$"Qset:{key}"] = value));
        Assert.Contains(message, failure.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ASoftTimeoutNoShorterThanTheHardOne_FailsAtStart()
    {
        var failure = await Assert.ThrowsAsync<OptionsValidationException>(() => EngineOnlyHost.StartAsync(s =>
        {
            s["Qset:FactorySoftTimeout"] = "00:00:05";
            s["Qset:FactoryHardTimeout"] = "00:00:05";
        }));
        Assert.Contains("Qset:FactorySoftTimeout (00:00:05) must be shorter than Qset:FactoryHardTimeout (00:00:05)", failure.Message, StringComparison.Ordinal);
    }
}
