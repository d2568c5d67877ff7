using System.Threading.Channels;
using Microsoft.Extensions.Logging;

namespace QsetDashboard.Caching;

/// <summary>
/// The bounded in-memory record of the latest cache events (a ring: the oldest are dropped), which pages and
/// the API read and subscribe to. Appending never waits for a subscriber: each subscription is fed by its own
/// pump, and a subscriber that throws is logged and kept.
/// </summary>
public sealed partial class EventJournal : IDisposable
{
    private readonly CacheEvent[] _ring;
    private readonly Lock _lock = new();
    private readonly ILogger _logger;
    private Subscription[] _subscriptions = [];
    private long _lastSequence;

    /// <summary>Creates a journal that keeps the latest <paramref name="capacity"/> events.</summary>
    public EventJournal(int capacity, ILogger<EventJournal> logger)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(capacity, 1);
        _ring = new CacheEvent[capacity];
        _logger = logger;
    }

    /// <summary>How many events the journal keeps.</summary>
    public int Capacity => _ring.Length;

    /// <summary>The sequence number of the newest event, 0 when none was appended.</summary>
    public long LastSequence => Volatile.Read(ref _lastSequence);

    /// <summary>How many events the journal holds now.</summary>
    public int Count => (int)Math.Min(LastSequence, _ring.Length);

    /// <summary>Appends an event, giving it the next sequence number, and wakes the subscribers.</summary>
    public CacheEvent Append(CacheEvent cacheEvent)
    {
        lock (_lock)
        {
            var sequence = _lastSequence + 1;
            cacheEvent = cacheEvent with { Sequence = sequence };
            _ring[sequence % _ring.Length] = cacheEvent;
            Volatile.Write(ref _lastSequence, sequence);
        }

        foreach (var subscription in Volatile.Read(ref _subscriptions))
        {
            subscription.Signal();
        }

        return cacheEvent;
    }

    /// <summary>The events after sequence number <paramref name="after"/>, oldest first, at most <paramref name="limit"/>.</summary>
    public IReadOnlyList<CacheEvent> ReadAfter(long after, int limit = int.MaxValue)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(limit);
        lock (_lock)
        {
            var first = Math.Max(Math.Max(after, 0) + 1, _lastSequence - _ring.Length + 1);
            var count = (int)Math.Clamp(_lastSequence - first + 1, 0, limit);
            var result = new CacheEvent[count];
            for (var i = 0; i < count; i++)
            {
                result[i] = _ring[(first + i) % _ring.Length];
            }

            return result;
        }
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
        lock (_lock)
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
        foreach (var subscription in Volatile.Read(ref _subscriptions))
        {
            subscription.Dispose();
        }
    }

    private void Remove(Subscription subscription)
    {
        lock (_lock)
        {
            _subscriptions = [.. _subscriptions.Where(s => !ReferenceEquals(s, subscription))];
        }
    }

    [LoggerMessage(EventId = 20, Level = LogLevel.Warning, Message = "A cache event subscriber threw; it stays subscribed")]
    private static partial void SubscriberFailed(ILogger logger, Exception exception);

    private sealed class Subscription(EventJournal journal, Action<IReadOnlyList<CacheEvent>> onEvents, long after) : IDisposable
    {
        private const int BatchLimit = 1_000;

        private readonly Channel<bool> _wake = Channel.CreateBounded<bool>(
            new BoundedChannelOptions(1) { FullMode = BoundedChannelFullMode.DropWrite, SingleReader = true });

        private long _after = after;

        public void Signal() => _wake.Writer.TryWrite(true);

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
