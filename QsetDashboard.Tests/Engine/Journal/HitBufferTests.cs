using Microsoft.Extensions.Logging.Abstractions;
using Qset.Caching;
using QsetDashboard.Tests.Infrastructure;

namespace QsetDashboard.Tests.Engine.Journal;

/// <summary>Hits wait in per-thread buffers; what the journal promises its readers must not change because of it.</summary>
public sealed class HitBufferTests
{
    private static readonly DateTimeOffset At = DateTimeOffset.UnixEpoch;

    [Fact]
    public async Task AHitOnAnotherThread_IsInTheJournalWhenItIsRead_AndBeforeAnyLaterEvent()
    {
        using var journal = new EventJournal(1_000, NullLogger<EventJournal>.Instance);

        await Task.Run(() => journal.AppendHit(At, "User.1", "User", "api"));
        journal.Append(new CacheEvent(0, At, CacheEventKind.Miss, "User.2", "User", "api", TimeSpan.Zero, null));
        journal.AppendHit(At, "User.2", "User", "api");

        var events = journal.ReadAfter(0);
        Assert.Equal([(CacheEventKind.Hit, "User.1"), (CacheEventKind.Miss, "User.2"), (CacheEventKind.Hit, "User.2")], events.Select(e => (e.Kind, e.Key)));
        Assert.Equal([1L, 2L, 3L], events.Select(e => e.Sequence));
    }

    [Fact]
    public async Task BufferedHits_ReachASubscriber_WithNoOtherEventOrRead()
    {
        using var journal = new EventJournal(1_000, NullLogger<EventJournal>.Instance);
        var heard = new List<CacheEvent>();
        using var subscription = journal.Subscribe(batch => { lock (heard) { heard.AddRange(batch); } });

        journal.AppendHit(At, "User.1", "User", "api");

        await Eventually.TrueAsync(() => { lock (heard) { return heard.Count == 1; } }, "the flush timer delivers the hit");
        Assert.Equal("User.1", heard[0].Key);
    }

    [Fact]
    public async Task HitsAThreadDrainsFromItsFullBuffer_ReachASubscriber_ThoughThatDrainWakesNoOne()
    {
        // A hit thread draining its full buffer does not wake the subscribers (that queued thread-pool work, which
        // allocated now and then on the hit path): the buffers' tick wakes them for what that drain appended.
        using var journal = new EventJournal(10_000, NullLogger<EventJournal>.Instance);
        var heard = new List<CacheEvent>();
        using var subscription = journal.Subscribe(batch => { lock (heard) { heard.AddRange(batch); } });

        for (var i = 0; i < 1_000; i++)
        {
            journal.AppendHit(At, $"User.{i}", "User", "api");
        }

        await Eventually.TrueAsync(() => { lock (heard) { return heard.Count == 1_000; } }, "every hit reaches the subscriber");
        Assert.Equal(Enumerable.Range(1, 1_000).Select(i => (long)i), heard.Select(e => e.Sequence));
    }

    [Fact]
    public void HitsFromManyShortLivedThreads_AreAllJournaled_WithGapFreeSequences()
    {
        using var journal = new EventJournal(1_000_000, NullLogger<EventJournal>.Instance);
        const int threads = 64;
        const int hitsEach = 1_000;

        var workers = Enumerable.Range(0, threads).Select(t => new Thread(() =>
        {
            for (var i = 0; i < hitsEach; i++)
            {
                journal.AppendHit(At, $"User.{t}", "User", "api");
            }
        })).ToList();
        workers.ForEach(w => w.Start());
        workers.ForEach(w => w.Join());

        var events = journal.ReadAfter(0);
        Assert.Equal(threads * hitsEach, events.Count);
        Assert.Equal(Enumerable.Range(1, threads * hitsEach).Select(i => (long)i), events.Select(e => e.Sequence));
        Assert.All(Enumerable.Range(0, threads), t => Assert.Equal(hitsEach, events.Count(e => e.Key == $"User.{t}")));
    }

    [Fact]
    public void HitsOfThreadsThatEnded_StayCounted_AfterTheirBuffersAreDropped()
    {
        using var journal = new EventJournal(100_000, NullLogger<EventJournal>.Instance);
        var counters = new CacheCounters();
        var recorder = new CacheRecorder(journal, counters, TimeProvider.System, NullLogger<CacheRecorder>.Instance);

        // More finished threads than the registry keeps, so that buffers are dropped along the way.
        var threads = (2 * Environment.ProcessorCount) + 40;
        const int hitsEach = 10;
        for (var t = 0; t < threads; t++)
        {
            var worker = new Thread(() =>
            {
                for (var i = 0; i < hitsEach; i++)
                {
                    recorder.RecordHit($"User.{i}", "User");
                }
            });
            worker.Start();
            worker.Join();
        }

        recorder.RecordHit("User.1", "User");

        var expected = (threads * hitsEach) + 1L;
        Assert.Equal(expected, counters.Of(CacheEventKind.Hit));
        Assert.Equal(expected, journal.ReadAfter(0).Count(e => e.Kind == CacheEventKind.Hit));
    }

    [Fact]
    public void Reset_StartsTheHitsAgainFromZero_BufferedAndCapturedAlike()
    {
        using var journal = new EventJournal(1_000, NullLogger<EventJournal>.Instance);
        var counters = new CacheCounters();
        var recorder = new CacheRecorder(journal, counters, TimeProvider.System, NullLogger<CacheRecorder>.Instance);
        recorder.RecordHit("User.1", "User");
        using (CacheContext.Capture("reset", []))
        {
            recorder.RecordHit("User.1", "User");
        }

        Assert.Equal(2, counters.Of(CacheEventKind.Hit));

        counters.Reset();
        Assert.Equal(0, counters.Of(CacheEventKind.Hit));

        recorder.RecordHit("User.2", "User");
        Assert.Equal(1, counters.Of(CacheEventKind.Hit));
    }

    [Fact]
    public void Counters_CountTheBufferedHitsOfOneJournalOnly()
    {
        using var first = new EventJournal(10, NullLogger<EventJournal>.Instance);
        using var second = new EventJournal(10, NullLogger<EventJournal>.Instance);
        var counters = new CacheCounters();
        _ = new CacheRecorder(first, counters, TimeProvider.System, NullLogger<CacheRecorder>.Instance);

        Assert.Throws<InvalidOperationException>(() => new CacheRecorder(second, counters, TimeProvider.System, NullLogger<CacheRecorder>.Instance));
    }
}
