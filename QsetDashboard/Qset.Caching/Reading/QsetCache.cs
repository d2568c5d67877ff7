using System.Collections.Concurrent;
using Microsoft.Extensions.Options;

namespace Qset.Caching;

/// <summary>
/// The engine the three caching styles share: cache-aside reads with one database read per key at a time,
/// invalidation, and the statistics. It knows tables only as version stamps: each read brings its own loader
/// and, in its <see cref="CacheReadPolicy"/>, the tables whose versions its entry is checked against.
/// </summary>
public sealed partial class QsetCache
{
    private readonly ICacheStore _store;
    private readonly SynchronousStore? _synchronous;
    private readonly CacheRecorder _recorder;
    private readonly TimeProvider _timeProvider;
    private readonly Feed.FeedBoard _feeds;

    /// <summary>
    /// The engine over <paramref name="store"/>; <paramref name="synchronous"/> is the same store's synchronous read
    /// where it has one (the memory store), which the hit path takes instead of a task.
    /// </summary>
    internal QsetCache(ICacheStore store, SynchronousStore? synchronous, CacheRecorder recorder, IOptions<CacheOptions> options, TimeProvider timeProvider)
        : this(store, synchronous, recorder, options, timeProvider, new Feed.FeedBoard())
    {
    }

    private QsetCache(ICacheStore store, SynchronousStore? synchronous, CacheRecorder recorder, IOptions<CacheOptions> options, TimeProvider timeProvider, Feed.FeedBoard feeds)
    {
        _feeds = feeds;
        _store = store;
        _synchronous = synchronous;
        _recorder = recorder;
        _timeProvider = timeProvider;
        _options = options.Value;
        _shelf = new FailSafeShelf(_options, timeProvider);
        _eagerRefresh = _options.EagerRefreshThreshold;
        ConfigureCopies(_options);
    }

    private readonly double _eagerRefresh;
    private readonly IDistributedLoads _loads = NoDistributedLoads.Instance;

    private readonly FailSafeShelf _shelf;

    private readonly ConcurrentDictionary<(string Key, Type Type), Task<object?>> _inflight = new();
    private readonly CacheOptions _options;

    /// <summary>The store values live in.</summary>
    public ICacheStore Store => _store;

    /// <summary>The journal of events.</summary>
    public EventJournal Journal => _recorder.Journal;

    /// <summary>The time provider every TTL and timestamp is read from.</summary>
    public TimeProvider TimeProvider => _timeProvider;

    /// <summary>
    /// A cache-aside read: HIT when the key holds a <typeparamref name="T"/>; otherwise MISS, then one database
    /// read through <paramref name="load"/> (concurrent misses of the key wait for it), then POPULATE unless the
    /// row is missing. A key holding another type is reported as a CLASH and read as a miss.
    /// </summary>
    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveInlining)]
    public ValueTask<CacheRead<T>> GetAsync<T, TState>(
        string key,
        TState state,
        Func<TState, CancellationToken, Task<T?>> load,
        CancellationToken cancellationToken = default)
        where T : class =>
        GetAsync(key, state, load, CacheReadPolicy.ById<T>(), cancellationToken);

    /// <summary>As the by-id read, with the entity type, table dependencies and TTL of <paramref name="policy"/>.</summary>
    /// <remarks>
    /// A hit the store answers synchronously (the memory store) takes no async state machine and no clock read
    /// of its own: it is not timed (two precise clock reads cost more than the hit) and reports a zero duration.
    /// A hit whose tables moved on since its read is stale: it is invalidated and read again.
    /// </remarks>
    public ValueTask<CacheRead<T>> GetAsync<T, TState>(
        string key,
        TState state,
        Func<TState, CancellationToken, Task<T?>> load,
        CacheReadPolicy policy,
        CancellationToken cancellationToken = default)
        where T : class
    {
        ArgumentNullException.ThrowIfNull(load);
        ArgumentNullException.ThrowIfNull(policy);
        if (_feeds.Blind)
        {
            return ReadPastCacheAsync(key, state, load, policy, cancellationToken);
        }

        CacheEntry? entry;
        long checkedAtTicks = 0;
        if (_synchronous is { } synchronous)
        {
            // The in-process store answers synchronously and hands over the time it checked the TTL against, which
            // the hit is recorded at: one clock read per hit.
            entry = synchronous.GetLive(key, out checkedAtTicks);
        }
        else
        {
            var pending = _store.GetAsync(key, cancellationToken);
            if (!pending.IsCompletedSuccessfully)
            {
                // An asynchronous store (Redis) is timed from here, its call already issued: a few ns short.
                return ReadAsync(key, state, load, policy, _timeProvider.GetTimestamp(), pending, cancellationToken);
            }

            entry = pending.Result;
        }

        if (entry?.Value is T cached && !IsStale(entry))
        {
            if (entry.FailSafe is not null)
            {
                return new ValueTask<CacheRead<T>>(FailSafeHit(entry, cached, policy, TimeSpan.Zero));
            }

            if (checkedAtTicks != 0)
            {
                _recorder.RecordHit(key, policy.EntityType, checkedAtTicks);
            }
            else
            {
                _recorder.RecordHit(key, policy.EntityType);
            }

            if (_eagerRefresh > 0)
            {
                RefreshWhenDue(key, state, load, policy, entry, checkedAtTicks);
            }

            return new ValueTask<CacheRead<T>>(new CacheRead<T>(GuardsValues ? Hand(key, policy.EntityType, cached) : cached, true, TimeSpan.Zero));
        }

        return MissAsync(key, state, load, policy, _timeProvider.GetTimestamp(), entry, cancellationToken);
    }

    /// <summary>How many database loads are in flight (each shared by the readers of its key).</summary>
    internal int LoadsInFlight => _inflight.Count;

    /// <summary>Removes <paramref name="key"/> (INVALIDATE) and refuses any populate of it whose read began before now.</summary>
    public ValueTask InvalidateAsync(string key, string? entityType, string? detail = null, CancellationToken cancellationToken = default) =>
        InvalidateAsync(key, entityType, detail, recordWhenNotHeld: true, cancellationToken);

    /// <summary>
    /// As <see cref="InvalidateAsync(string, string?, string?, CancellationToken)"/>; with <paramref name="recordWhenNotHeld"/>
    /// false, recorded only when the key held an entry: for a write seen again (the database feed's copy of a write this
    /// node already applied) or one whose key nothing read.
    /// </summary>
    internal async ValueTask InvalidateAsync(string key, string? entityType, string? detail, bool recordWhenNotHeld, CancellationToken cancellationToken = default)
    {
        // New readers must not join a load that began before this write: detach it (its own populate is refused).
        foreach (var inflight in _inflight)
        {
            if (inflight.Key.Key == key)
            {
                _inflight.TryRemove(inflight);
            }
        }

        using var activity = QsetTelemetry.Source.StartActivity(QsetTelemetry.InvalidateActivity);
        activity?.SetTag(QsetTelemetry.KeyTag, key);
        activity?.SetTag(QsetTelemetry.EntityTypeTag, entityType);
        var started = _timeProvider.GetTimestamp();
        _shelf.Drop(key);
        var removed = await _store.InvalidateAsync(key, cancellationToken).ConfigureAwait(false);
        if (removed || recordWhenNotHeld)
        {
            _recorder.Record(CacheEventKind.Invalidate, key, entityType, _timeProvider.GetElapsedTime(started), detail, count: removed ? 1 : 0);
        }
    }

    /// <summary>
    /// Removes every entry of <paramref name="entityType"/> (after a write to its table that cannot name its rows), each
    /// recorded as INVALIDATE (more than <see cref="CacheRecorder.OneByOne"/>: one event counting them all), through the
    /// store's index by type (never a listing of the store). Returns how many went.
    /// </summary>
    public async ValueTask<int> InvalidateTypeAsync(string entityType, string? detail = null, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(entityType);
        using var activity = QsetTelemetry.Source.StartActivity(QsetTelemetry.InvalidateActivity);
        activity?.SetTag(QsetTelemetry.EntityTypeTag, entityType);

        // New readers must not join a load that began before this write, of a key held or not (a load is mostly of a
        // key that missed): every load under way is detached, as a bulk write cannot say which rows it changed. Their
        // own populates are refused; a reader arriving now starts a fresh load.
        foreach (var inflight in _inflight)
        {
            _inflight.TryRemove(inflight);
        }

        var dropped = await _store.InvalidateTypeAsync(entityType, cancellationToken).ConfigureAwait(false);
        _recorder.RecordEach(CacheEventKind.Invalidate, dropped, entityType, detail,
            summary: $"{dropped.Count} {entityType} entries invalidated{(detail is null ? string.Empty : $": {detail}")}");
        return dropped.Count;
    }

    /// <summary>
    /// Removes every entry; each removed key is recorded as INVALIDATE (more than <see cref="CacheRecorder.OneByOne"/>:
    /// one event counting them all). Returns how many were removed.
    /// </summary>
    public ValueTask<int> FlushAsync(CancellationToken cancellationToken = default) => FlushAsync(null, cancellationToken);

    /// <summary>As <see cref="FlushAsync(CancellationToken)"/>; <paramref name="reason"/> (when set) is the one event that says why, however many went.</summary>
    internal async ValueTask<int> FlushAsync(string? reason, CancellationToken cancellationToken = default)
    {
        _inflight.Clear();
        _shelf.Clear();
        var removed = await _store.ClearAsync(cancellationToken).ConfigureAwait(false);
        if (reason is not null && removed.Count == 0)
        {
            return 0;
        }

        if (reason is not null || removed.Count > CacheRecorder.OneByOne || !removed.Named)
        {
            _recorder.RecordSummary(CacheEventKind.Invalidate, removed.Count,
                reason is null ? $"flush: {removed.Count} entries" : $"{reason}: dropped all {removed.Count} entries");
            return removed.Count;
        }

        foreach (var entry in removed.Entries)
        {
            _recorder.Record(CacheEventKind.Invalidate, entry.Key, entry.EntityType, detail: CacheRecorder.FlushDetail);
        }

        return removed.Count;
    }

    /// <summary>The counters and the store's size.</summary>
    public CacheStats GetStats()
    {
        var c = _recorder.Counters;
        return new CacheStats(
            _store.Name,
            c.Of(CacheEventKind.Hit),
            c.Of(CacheEventKind.Miss),
            c.Of(CacheEventKind.Populate),
            c.Of(CacheEventKind.Invalidate),
            c.Of(CacheEventKind.Evict),
            c.Of(CacheEventKind.Expire),
            c.Of(CacheEventKind.Reject),
            c.Of(CacheEventKind.Clash),
            c.Of(CacheEventKind.Error),
            c.DbQueries,
            _store.Count,
            _store.Capacity)
        {
            Feed = _feeds.Status,
            Stale = c.Of(CacheEventKind.Stale),
            Refreshes = c.Of(CacheEventKind.Refresh),
        };
    }
}

/// <summary>The outcome of a cache-aside read.</summary>
/// <param name="Value">The entity, or null when the database has no such row.</param>
/// <param name="Hit">True when the cache answered without the database.</param>
/// <param name="Duration">How long the read took.</param>
public readonly record struct CacheRead<T>(T? Value, bool Hit, TimeSpan Duration)
    where T : class
{
    /// <summary>
    /// Why the value is served past its TTL (fail-safe: the database read failed, and no write had invalidated the
    /// value); null for a value the cache holds within its TTL or the database just gave.
    /// </summary>
    public string? StaleReason { get; init; }

    /// <summary>True when <see cref="Value"/> is served past its TTL by fail-safe (<see cref="StaleReason"/> says why).</summary>
    public bool Stale => StaleReason is not null;
}
