using Microsoft.Extensions.Logging.Abstractions;
using Qset.Caching;
using QsetDashboard.Tests.Infrastructure;

namespace QsetDashboard.Tests.Engine.Journal;

/// <summary>The lock-free journal keeps its contract when several threads append at once.</summary>
public sealed class JournalConcurrencyTests
{
    private const int Writers = 4;
    private const int PerWriter = 20_000;

    private static CacheEvent Event(string key) =>
        new(0, DateTimeOffset.UnixEpoch, CacheEventKind.Hit, key, "User", "test", TimeSpan.Zero, null);

    [Fact]
    public async Task ConcurrentAppends_GetDistinctGapFreeSequences_AndEverySubscriberBatchIsInOrder()
    {
        using var journal = new EventJournal(100_000, NullLogger<EventJournal>.Instance);
        long delivered = 0;
        long lastSeen = 0;
        var outOfOrder = 0;
        using var subscription = journal.Subscribe(batch =>
        {
            foreach (var e in batch)
            {
                if (e.Sequence != lastSeen + 1)
                {
                    outOfOrder++;
                }

                lastSeen = e.Sequence;
            }

            Interlocked.Add(ref delivered, batch.Count);
        });

        using var start = new ManualResetEventSlim();
        var writers = Enumerable.Range(0, Writers).Select(w => Task.Run(() =>
        {
            start.Wait();
            for (var i = 0; i < PerWriter; i++)
            {
                journal.Append(Event($"w{w}.{i}"));
            }
        })).ToArray();
        start.Set();
        await Task.WhenAll(writers);

        const int total = Writers * PerWriter;
        Assert.Equal(total, journal.LastSequence);
        var all = journal.ReadAfter(0);
        Assert.Equal(Enumerable.Range(1, total).Select(i => (long)i), all.Select(e => e.Sequence));
        Assert.Equal(total, all.Select(e => e.Key).Distinct().Count());
        await Eventually.TrueAsync(() => Interlocked.Read(ref delivered) == total, "the subscriber receives every event");
        Assert.Equal(0, outOfOrder);
    }

    [Fact]
    public async Task ConcurrentAppends_IntoASmallRing_KeepOnlyTheLatest_InOrder()
    {
        using var journal = new EventJournal(100, NullLogger<EventJournal>.Instance);
        var readerErrors = 0;
        using var stop = new CancellationTokenSource();
        var reader = Task.Run(() =>
        {
            while (!stop.IsCancellationRequested)
            {
                var window = journal.ReadAfter(0);
                for (var i = 1; i < window.Count; i++)
                {
                    if (window[i].Sequence != window[i - 1].Sequence + 1 || !window[i].Key.StartsWith('w'))
                    {
                        Interlocked.Increment(ref readerErrors);
                    }
                }

                if (window.Count > 100)
                {
                    Interlocked.Increment(ref readerErrors);
                }
            }
        });

        var writers = Enumerable.Range(0, Writers).Select(w => Task.Run(() =>
        {
            for (var i = 0; i < PerWriter; i++)
            {
                journal.Append(Event($"w{w}.{i}"));
            }
        })).ToArray();
        await Task.WhenAll(writers);
        await stop.CancelAsync();
        await reader;

        Assert.Equal(0, readerErrors);
        Assert.Equal(Writers * PerWriter, journal.LastSequence);
        Assert.Equal(100, journal.Count);
        Assert.Equal(
            Enumerable.Range((Writers * PerWriter) - 99, 100).Select(i => (long)i),
            journal.ReadAfter(0).Select(e => e.Sequence));
    }
}
