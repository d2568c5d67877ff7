using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Time.Testing;
using Qset.Caching;
using Qset.Dashboard.Model;
using QsetDashboard.Model;
using QsetDashboard.Tests.Infrastructure;

namespace QsetDashboard.Tests.Model;

public sealed class DashboardModelTests
{
    private static readonly DateTimeOffset Now = new(2026, 11, 24, 0, 0, 30, 400, TimeSpan.Zero);

    private static CacheEvent Event(CacheEventKind kind, DateTimeOffset at, string key = "User.1", string source = "api") =>
        new(0, at, kind, key, "User", source, TimeSpan.Zero, null);

    [Fact]
    public async Task ThrottledRefresh_CoalescesABurstIntoOneRefreshPerInterval()
    {
        var time = new FakeTimeProvider(Now);
        using var journal = new EventJournal(10_000, NullLogger<EventJournal>.Instance);
        var refreshes = 0;
        using var live = new ThrottledRefresh(journal, () => { Interlocked.Increment(ref refreshes); return Task.CompletedTask; }, time);

        journal.Append(Event(CacheEventKind.Hit, Now));
        await Eventually.TrueAsync(() => Volatile.Read(ref refreshes) == 1, "the first event refreshes at once");
        for (var i = 0; i < 5_000; i++)
        {
            journal.Append(Event(CacheEventKind.Miss, Now));
        }

        // The whole burst has reached the view; the clock has not moved, so it waits as one pending refresh.
        await Eventually.TrueAsync(() => live.SeenSequence == journal.LastSequence, "the burst reaches the view");
        Assert.Equal(1, Volatile.Read(ref refreshes));
        Assert.True(live.IsPending);

        time.Advance(ThrottledRefresh.DefaultInterval);
        await Eventually.TrueAsync(() => Volatile.Read(ref refreshes) == 2, "the whole burst becomes one refresh");

        // Nothing is pending after it, so without a new event no third refresh can run.
        Assert.False(live.IsPending);
        Assert.Equal(2, live.RefreshCount);
    }

    [Fact]
    public async Task ThrottledRefresh_Dispose_EndsTheSubscription_AndTheTick()
    {
        var time = new FakeTimeProvider(Now);
        using var journal = new EventJournal(100, NullLogger<EventJournal>.Instance);
        var refreshes = 0;
        var live = new ThrottledRefresh(journal, () => { Interlocked.Increment(ref refreshes); return Task.CompletedTask; }, time);
        live.TickEvery(TimeSpan.FromSeconds(1));
        time.Advance(TimeSpan.FromSeconds(1));
        await Eventually.TrueAsync(() => Volatile.Read(ref refreshes) == 1, "the tick refreshes");

        live.Dispose();
        Assert.Equal(0, journal.SubscriberCount);

        // A fake clock runs due timers inside Advance, and a refresh past its interval runs synchronously: a live
        // tick would have refreshed before Advance returned. No subscriber is left for the event to reach.
        time.Advance(TimeSpan.FromSeconds(5));
        journal.Append(Event(CacheEventKind.Hit, Now));

        Assert.Equal(1, Volatile.Read(ref refreshes));
        Assert.False(live.IsPending);
    }

    [Fact]
    public void HitMissSeries_CountsPerSecond_OverTheLastMinuteOnly()
    {
        CacheEvent[] newestFirst =
        [
            Event(CacheEventKind.Hit, Now),
            Event(CacheEventKind.Hit, Now.AddMilliseconds(-300)),
            Event(CacheEventKind.Populate, Now.AddSeconds(-1)),
            Event(CacheEventKind.Miss, Now.AddSeconds(-1)),
            Event(CacheEventKind.Hit, Now.AddSeconds(-59)),
            Event(CacheEventKind.Hit, Now.AddSeconds(-61)),
        ];

        var buckets = HitMissSeries.Build(newestFirst, Now);

        Assert.Equal(60, buckets.Count);
        Assert.Equal((2, 0), (buckets[^1].Hits, buckets[^1].Misses));
        Assert.Equal((0, 1), (buckets[^2].Hits, buckets[^2].Misses));
        Assert.Equal(1, buckets[0].Hits);
        Assert.Equal(3, buckets.Sum(b => b.Hits));
        Assert.Equal(new DateTimeOffset(2026, 11, 24, 0, 0, 30, TimeSpan.Zero), buckets[^1].Second);
    }

    [Fact]
    public void EventFilter_MatchesKindKeyAndSource_CaseInsensitively()
    {
        CacheEvent[] events = [Event(CacheEventKind.Hit, Now, "User.1", "api"), Event(CacheEventKind.Miss, Now, "Team.1", "generic"), Event(CacheEventKind.Hit, Now, "Team.12", "API")];

        Assert.Same(events, new EventFilter().Apply(events));
        Assert.Equal(["User.1", "Team.12"], new EventFilter(CacheEventKind.Hit).Apply(events).Select(e => e.Key));
        Assert.Equal(["Team.1", "Team.12"], new EventFilter(Key: "team.1").Apply(events).Select(e => e.Key));
        Assert.Equal(["Team.12"], new EventFilter(CacheEventKind.Hit, " team ", "api").Apply(events).Select(e => e.Key));
    }

    [Fact]
    public void JournalWindow_ReadsIncrementally_KeepsTheNewestMatches()
    {
        using var journal = new EventJournal(100, NullLogger<EventJournal>.Instance);
        var window = new JournalWindow(journal, 3, e => e.Source == "demo");
        Assert.False(window.Update());

        for (var i = 1; i <= 5; i++)
        {
            journal.Append(Event(CacheEventKind.Hit, Now, $"k{i}", "demo"));
            journal.Append(Event(CacheEventKind.Hit, Now, $"x{i}", "other"));
        }

        Assert.True(window.Update());
        Assert.Equal(["k5", "k4", "k3"], window.NewestFirst.Select(e => e.Key));
        Assert.False(window.Update());
        journal.Append(Event(CacheEventKind.Miss, Now, "k6", "demo"));
        Assert.True(window.Update());
        Assert.Equal(["k6", "k5", "k4"], window.NewestFirst.Select(e => e.Key));
    }

    [Theory]
    [InlineData("1", null)]
    [InlineData(" 42 ", null)]
    [InlineData("", "The id is required.")]
    [InlineData("-1", "The id must be a whole number such as 1.")]
    [InlineData("1.5", "The id must be a whole number such as 1.")]
    [InlineData("0", "The id must be a positive 32-bit integer (1 to 2147483647).")]
    [InlineData("2147483648", "The id must be a positive 32-bit integer (1 to 2147483647).")]
    public void PlaygroundInput_ValidatesTheId_WithTheSharedRules(string text, string? error)
    {
        Assert.Equal(error, new PlaygroundInput(text, "x").ValidateId(out _));
    }

    [Theory]
    [InlineData(1.5, "1.50 ms")]
    [InlineData(0.0031, "3.1 µs")]
    public void Display_Duration_SwitchesToMicrosecondsForMemoryHits(double milliseconds, string expected)
    {
        Assert.Equal(expected, Display.Duration(TimeSpan.FromMilliseconds(milliseconds)));
    }

    [Theory]
    [InlineData(299.9, "5:00")]
    [InlineData(61, "1:01")]
    [InlineData(0, "0:00")]
    [InlineData(-3, "0:00")]
    [InlineData(3723, "1:02:03")]
    public void Display_Clock_RoundsUpToTheSecond(double seconds, string expected)
    {
        Assert.Equal(expected, Display.Clock(TimeSpan.FromSeconds(seconds)));
    }
}
