using System.Numerics;
using System.Threading.Channels;
using Microsoft.Extensions.Logging;

namespace Qset.Caching;

/// <summary>
/// The bounded in-memory record of the latest cache events (a ring: the oldest are dropped), which pages and
/// the API read and subscribe to. Appending never waits for a subscriber: each subscription is fed by its own
/// pump, and a subscriber that throws is logged and kept.
/// </summary>
public sealed partial class EventJournal : IDisposable
{
    private readonly Slot[] _ring;
    private readonly int _capacity;
    private readonly long _mask;
    private readonly Lock _subscriptionsLock = new();
    private readonly ILogger _logger;
    private Subscription[] _subscriptions = [];
    private readonly HitBuffers _hits;

    // An append is one atomic operation: a writer claims the next sequence number, fills its slot, then stamps
    // the slot with the number. Readers work out the published watermark (every event up to it is stamped) by
    // walking the stamps from where the last reader stopped, and read only up to it, so they always get gap-free,
    // ordered sequences; an event whose slot a newer lap may already be rewriting is dropped by the reader, as the
    // ring drops its oldest events anyway.
    private long _claimed;
    private long _publishedHint;

    /// <summary>
    /// Creates a journal that keeps the latest <paramref name="capacity"/> events; buffered hits reach its subscribers
    /// at least every 100 ms of <paramref name="timeProvider"/> (the system clock when null).
    /// </summary>
    public EventJournal(int capacity, ILogger<EventJournal> logger, TimeProvider? timeProvider = null)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(capacity, 1);
        _capacity = capacity;

        // A power-of-two ring, so that a slot is found with a mask rather than a 64-bit division.
        _ring = new Slot[(int)BitOperations.RoundUpToPowerOf2((uint)capacity)];
        _mask = _ring.Length - 1;
        _logger = logger;
        _hits = new HitBuffers(this, timeProvider ?? TimeProvider.System);
    }

    /// <summary>How many events the journal keeps.</summary>
    public int Capacity => _capacity;

    /// <summary>The sequence number of the newest event, 0 when none was appended.</summary>
    public long LastSequence
    {
        get
        {
            // A reader sees every hit that happened before it read.
            _hits.DrainAll();
            var published = Math.Max(Volatile.Read(ref _publishedHint), Volatile.Read(ref _claimed) - _ring.Length);
            while (true)
            {
                // A stamp is never lowered; one at or past `next` means `next` was written (and maybe since lapped).
                var next = published + 1;
                if (Volatile.Read(ref _ring[next & _mask].Sequence) < next)
                {
                    break;
                }

                published = next;
            }

            // Racing readers may write an older value back; the hint is only where the next walk starts.
            Volatile.Write(ref _publishedHint, published);
            return published;
        }
    }

    /// <summary>How many events the journal holds now.</summary>
    public int Count => (int)Math.Min(LastSequence, _capacity);

    /// <summary>Appends an event, giving it the next sequence number, and wakes the subscribers.</summary>
    public CacheEvent Append(in CacheEvent cacheEvent)
    {
        var sequence = Append(cacheEvent.Timestamp, cacheEvent.Kind, cacheEvent.Key, cacheEvent.EntityType, cacheEvent.Source, cacheEvent.Duration, cacheEvent.Detail, cacheEvent.Count);
        return cacheEvent with { Sequence = sequence };
    }

    /// <summary>
    /// Records a HIT without touching anything another thread writes: it waits in this thread's buffer until the
    /// next event, read or tick (see <see cref="HitBuffers"/>), which gives it its sequence number.
    /// </summary>
    internal void AppendHit(DateTimeOffset timestamp, string key, string entityType, string source) =>
        _hits.Add(timestamp, key, entityType, source);

    /// <summary>How many hits <see cref="AppendHit"/> ever took (journaled or still buffered): the hits' counter.</summary>
    internal long BufferedHitsTaken => _hits.Total;

    /// <summary>Appends a thread's buffered hits <paramref name="from"/> (inclusive) to <paramref name="to"/>, claiming their numbers at once.</summary>
    /// <remarks>
    /// Without <paramref name="signal"/> (a hit thread draining its full buffer) the subscribers are woken by the next
    /// drain that signals (the buffers' tick, within 100 ms, or the next event): waking one queues work on the thread
    /// pool, which allocates now and then, and a hit allocates nothing.
    /// </remarks>
    internal void AppendHits(HitBuffers.PendingHit[] ring, long from, long to, int ringMask, bool signal = true)
    {
        var count = to - from;
        var first = Interlocked.Add(ref _claimed, count) - count + 1;
        for (var i = 0L; i < count; i++)
        {
            var hit = ring[(from + i) & ringMask];
            Write(first + i, new CacheEvent(first + i, hit.Timestamp, CacheEventKind.Hit, hit.Key, hit.EntityType, hit.Source, TimeSpan.Zero, null));
        }

        if (signal)
        {
            SignalSubscribers();
        }
        else
        {
            Volatile.Write(ref _hitsUnsignalled, 1);
        }
    }

    /// <summary>Wakes the subscribers if hits were appended without waking them (<see cref="AppendHits"/>).</summary>
    internal void SignalHitsWaiting()
    {
        if (Volatile.Read(ref _hitsUnsignalled) == 1 && Interlocked.Exchange(ref _hitsUnsignalled, 0) == 1)
        {
            SignalSubscribers();
        }
    }

    private int _hitsUnsignalled;

    /// <summary>Appends an event made from its fields, in its slot; returns its sequence number.</summary>
    internal long Append(
        DateTimeOffset timestamp, CacheEventKind kind, string key, string? entityType, string source, TimeSpan duration, string? detail, long count = 1)
    {
        // Hits buffered before this event come before it.
        _hits.DrainAll();
        var sequence = Interlocked.Increment(ref _claimed);
        Write(sequence, new CacheEvent(sequence, timestamp, kind, key, entityType, source, duration, detail, count));
        SignalSubscribers();
        return sequence;
    }

    private void Write(long sequence, in CacheEvent cacheEvent)
    {
        ref var slot = ref _ring[sequence & _mask];

        // The writer one lap earlier must have finished with the slot; it almost always has.
        var previous = Math.Max(sequence - _ring.Length, 0);
        if (Volatile.Read(ref slot.Sequence) != previous)
        {
            WaitForSlot(ref slot, previous);
        }

        slot.Event = cacheEvent;
        Volatile.Write(ref slot.Sequence, sequence);
    }

    private void SignalSubscribers()
    {
        var subscriptions = Volatile.Read(ref _subscriptions);
        for (var i = 0; i < subscriptions.Length; i++)
        {
            subscriptions[i].Signal();
        }
    }

    /// <summary>The events after sequence number <paramref name="after"/>, oldest first, at most <paramref name="limit"/>.</summary>
    public IReadOnlyList<CacheEvent> ReadAfter(long after, int limit = int.MaxValue)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(limit);
        var last = LastSequence;
        var first = Math.Max(Math.Max(after, 0) + 1, last - _capacity + 1);
        var count = (int)Math.Clamp(last - first + 1, 0, limit);
        var result = new CacheEvent[count];
        for (var i = 0; i < count; i++)
        {
            result[i] = _ring[(first + i) & _mask].Event;
        }

        // Keep only the events no newer lap could have started rewriting while they were copied: a writer claims
        // its number before it writes, so a claim counter read after the copy bounds what may be torn.
        Interlocked.MemoryBarrier();
        var safeFrom = Volatile.Read(ref _claimed) - _ring.Length + 1;
        var skip = 0;
        while (skip < count && (first + skip < safeFrom || result[skip].Sequence != first + skip))
        {
            skip++;
        }

        return skip == 0 ? result : result[skip..];
    }

    /// <summary>The newest <paramref name="limit"/> events, newest first.</summary>
    public IReadOnlyList<CacheEvent> Latest(int limit)
    {
        var oldestFirst = ReadAfter(Math.Max(0, LastSequence - limit));
        var result = new CacheEvent[oldestFirst.Count];
        for (var i = 0; i < result.Length; i++)
        {
            result[i] = oldestFirst[oldestFirst.Count - 1 - i];
        }

        return result;
    }

    /// <summary>
    /// Calls <paramref name="onEvents"/> with each batch of events appended after this call, in order, on a
    /// background task. Dispose the result to stop.
    /// </summary>
    public IDisposable Subscribe(Action<IReadOnlyList<CacheEvent>> onEvents)
    {
        ArgumentNullException.ThrowIfNull(onEvents);
        var subscription = new Subscription(this, onEvents, LastSequence);
        lock (_subscriptionsLock)
        {
            _subscriptions = [.. _subscriptions, subscription];
        }

        subscription.Start();
        return subscription;
    }

    /// <summary>How many subscriptions are live (the dashboard disposes its own; a test checks that).</summary>
    public int SubscriberCount => Volatile.Read(ref _subscriptions).Length;

    /// <inheritdoc />
    public void Dispose()
    {
        _hits.Dispose();
        foreach (var subscription in Volatile.Read(ref _subscriptions))
        {
            subscription.Dispose();
        }
    }

    private void Remove(Subscription subscription)
    {
        lock (_subscriptionsLock)
        {
            _subscriptions = [.. _subscriptions.Where(s => !ReferenceEquals(s, subscription))];
        }
    }

    private static void WaitForSlot(ref Slot slot, long previous)
    {
        var spin = new SpinWait();
        while (Volatile.Read(ref slot.Sequence) != previous)
        {
            spin.SpinOnce();
        }
    }

    [LoggerMessage(EventId = 20, Level = LogLevel.Warning, Message = "A cache event subscriber threw; it stays subscribed")]
    private static partial void SubscriberFailed(ILogger logger, Exception exception);

    private struct Slot
    {
        public long Sequence;
        public CacheEvent Event;
    }

    private sealed class Subscription(EventJournal journal, Action<IReadOnlyList<CacheEvent>> onEvents, long after) : IDisposable
    {
        private const int BatchLimit = 1_000;

        private readonly Channel<bool> _wake = Channel.CreateBounded<bool>(
            new BoundedChannelOptions(1) { FullMode = BoundedChannelFullMode.DropWrite, SingleReader = true });

        private long _after = after;
        private int _signalled;

        // Under load most appends find the pump already woken, and cost one read instead of a channel write.
        public void Signal()
        {
            if (Volatile.Read(ref _signalled) == 0 && Interlocked.Exchange(ref _signalled, 1) == 0)
            {
                _wake.Writer.TryWrite(true);
            }
        }

        public void Start() => _ = Task.Run(PumpAsync);

        public void Dispose()
        {
            if (_wake.Writer.TryComplete())
            {
                journal.Remove(this);
            }
        }

        private async Task PumpAsync()
        {
            while (await _wake.Reader.WaitToReadAsync().ConfigureAwait(false))
            {
                _wake.Reader.TryRead(out _);
                Interlocked.Exchange(ref _signalled, 0);
                IReadOnlyList<CacheEvent> batch;
                while ((batch = journal.ReadAfter(_after, BatchLimit)).Count > 0)
                {
                    _after = batch[^1].Sequence;
                    try
                    {
                        onEvents(batch);
                    }
#pragma warning disable CA1031 // A subscriber's failure must never reach the cache.
                    catch (Exception ex)
#pragma warning restore CA1031
                    {
                        SubscriberFailed(journal._logger, ex);
                    }
                }
            }
        }
    }
}
