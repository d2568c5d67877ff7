using Microsoft.Extensions.Logging.Abstractions;
using Qset.Caching;
using QsetDashboard.Tests.Infrastructure;

namespace QsetDashboard.Tests.Engine.Journal;

public sealed class JournalTests
{
    private static CacheEvent Event(string key) =>
        new(0, DateTimeOffset.UnixEpoch, CacheEventKind.Hit, key, "User", "test", TimeSpan.Zero, null);

    [Fact]
    public void Append_KeepsOnlyTheLatestCapacityEvents_InOrder()
    {
        using var journal = new EventJournal(16, NullLogger<EventJournal>.Instance);

        for (var i = 1; i <= 40; i++)
        {
            journal.Append(Event($"k{i}"));
        }

        var all = journal.ReadAfter(0);
        Assert.Equal(16, all.Count);
        Assert.Equal(Enumerable.Range(25, 16).Select(i => (long)i), all.Select(e => e.Sequence));
        Assert.Equal("k40", journal.Latest(1)[0].Key);
        Assert.Equal(["k39", "k40"], journal.ReadAfter(38).Select(e => e.Key));
        Assert.Equal(["k31"], journal.ReadAfter(30, limit: 1).Select(e => e.Key));
    }

    [Fact]
    public async Task Subscriber_ThatThrows_NeverBreaksAppends_AndKeepsReceiving()
    {
        using var journal = new EventJournal(100, NullLogger<EventJournal>.Instance);
        var seen = 0;
        using var subscription = journal.Subscribe(batch =>
        {
            Interlocked.Add(ref seen, batch.Count);
            throw new InvalidOperationException("bad subscriber");
        });

        journal.Append(Event("a"));
        await Eventually.TrueAsync(() => Volatile.Read(ref seen) == 1, "the first event reaches the subscriber");
        journal.Append(Event("b"));

        await Eventually.TrueAsync(() => Volatile.Read(ref seen) == 2, "the subscriber keeps receiving after throwing");
    }

    [Fact]
    public async Task Subscriber_ThatIsSlow_NeverBlocksAppends()
    {
        using var journal = new EventJournal(100, NullLogger<EventJournal>.Instance);
        using var release = new ManualResetEventSlim();
        var received = 0;
        using var subscription = journal.Subscribe(batch =>
        {
            release.Wait();
            Interlocked.Add(ref received, batch.Count);
        });

        var append = Task.Run(() =>
        {
            for (var i = 0; i < 50; i++)
            {
                journal.Append(Event($"k{i}"));
            }
        });

        Assert.True(await Task.WhenAny(append, Task.Delay(5_000)) == append, "appends finished while the subscriber was stuck");
        release.Set();
        await Eventually.TrueAsync(() => Volatile.Read(ref received) == 50, "the slow subscriber catches up");
    }

    [Fact]
    public void Dispose_RemovesTheSubscription()
    {
        using var journal = new EventJournal(100, NullLogger<EventJournal>.Instance);
        var subscription = journal.Subscribe(_ => { });
        Assert.Equal(1, journal.SubscriberCount);

        subscription.Dispose();

        Assert.Equal(0, journal.SubscriberCount);
    }
}
