using Qset.Caching;

namespace Qset.Dashboard.Model;

/// <summary>
/// Turns the journal's event batches (and an optional clock tick) into refreshes of one view, at most one per
/// <see cref="Interval"/>: a burst of events coalesces into a single refresh, so a flood never freezes a page.
/// Dispose it with the view; it holds the journal subscription.
/// </summary>
internal sealed class ThrottledRefresh : IDisposable
{
    /// <summary>The default spacing of refreshes: ten a second.</summary>
    public static readonly TimeSpan DefaultInterval = TimeSpan.FromMilliseconds(100);

    private readonly Func<Task> _refresh;
    private readonly TimeProvider _timeProvider;
    private readonly CancellationTokenSource _stopping = new();
    private readonly IDisposable _subscription;
    private ITimer? _tick;
    private long _lastRefresh;
    private int _scheduled;
    private int _refreshCount;
    private long _seenSequence;

    /// <summary>Subscribes to <paramref name="journal"/>; <paramref name="refresh"/> runs after events arrive, spaced by <paramref name="interval"/>.</summary>
    public ThrottledRefresh(EventJournal journal, Func<Task> refresh, TimeProvider timeProvider, TimeSpan? interval = null)
    {
        ArgumentNullException.ThrowIfNull(journal);
        _refresh = refresh ?? throw new ArgumentNullException(nameof(refresh));
        _timeProvider = timeProvider ?? throw new ArgumentNullException(nameof(timeProvider));
        Interval = interval ?? DefaultInterval;
        _subscription = journal.Subscribe(events =>
        {
            Request();
            Volatile.Write(ref _seenSequence, events[^1].Sequence);
        });
    }

    /// <summary>The least time between two refreshes.</summary>
    public TimeSpan Interval { get; }

    /// <summary>How many refreshes have run (tests read it to prove coalescing).</summary>
    public int RefreshCount => Volatile.Read(ref _refreshCount);

    /// <summary>The sequence of the newest journal event this view has been told of (a refresh has been asked for it).</summary>
    public long SeenSequence => Volatile.Read(ref _seenSequence);

    /// <summary>True while a refresh is asked for and has not started yet.</summary>
    public bool IsPending => Volatile.Read(ref _scheduled) == 1;

    /// <summary>Also refreshes every <paramref name="period"/> without events, for what changes with time alone (TTL countdowns, a sliding chart).</summary>
    public void TickEvery(TimeSpan period)
    {
        _tick?.Dispose();
        _tick = _timeProvider.CreateTimer(_ => Request(), null, period, period);
    }

    /// <summary>Asks for a refresh; it runs at once or when the interval since the last one has passed.</summary>
    public void Request()
    {
        if (_stopping.IsCancellationRequested || Interlocked.Exchange(ref _scheduled, 1) == 1)
        {
            return;
        }

        _ = RunAsync();
    }

    /// <inheritdoc />
    public void Dispose()
    {
        if (_stopping.IsCancellationRequested)
        {
            return;
        }

        _stopping.Cancel();
        _subscription.Dispose();
        _tick?.Dispose();
        _stopping.Dispose();
    }

    private async Task RunAsync()
    {
        try
        {
            var wait = Interval - _timeProvider.GetElapsedTime(Volatile.Read(ref _lastRefresh));
            if (wait > TimeSpan.Zero)
            {
                await Task.Delay(wait, _timeProvider, _stopping.Token).ConfigureAwait(false);
            }

            // Stamp first, then reopen: events arriving during the refresh schedule the next one, spaced from this.
            Volatile.Write(ref _lastRefresh, _timeProvider.GetTimestamp());
            Volatile.Write(ref _scheduled, 0);
            Interlocked.Increment(ref _refreshCount);
            await _refresh().ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            // Disposed while waiting: the view is gone.
        }
        catch (ObjectDisposedException)
        {
            // The view's renderer went away between the event and the refresh.
        }
    }
}
