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
    private readonly ISynchronousStore? _synchronous;
    private readonly CacheRecorder _recorder;
    private readonly TimeProvider _timeProvider;

    /// <summary>
    /// The engine over <paramref name="store"/>; <paramref name="synchronous"/> is the same store's synchronous read
    /// where it has one (the memory store), which the hit path takes instead of a task.
    /// </summary>
    internal QsetCache(ICacheStore store, ISynchronousStore? synchronous, CacheRecorder recorder, IOptions<CacheOptions> options, TimeProvider timeProvider)
    {
        _store = store;
        _synchronous = synchronous;
        _recorder = recorder;
        _timeProvider = timeProvider;
        _options = options.Value;
    }

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
            if (checkedAtTicks != 0)
            {
                _recorder.RecordHit(key, policy.EntityType, checkedAtTicks);
            }
            else
            {
                _recorder.RecordHit(key, policy.EntityType);
            }

            return new ValueTask<CacheRead<T>>(new CacheRead<T>(cached, true, TimeSpan.Zero));
        }

        return MissAsync(key, state, load, policy, _timeProvider.GetTimestamp(), entry, cancellationToken);
    }

    /// <summary>How many database loads are in flight (each shared by the readers of its key).</summary>
    internal int LoadsInFlight => _inflight.Count;

    /// <summary>Removes <paramref name="key"/> (INVALIDATE) and refuses any populate of it whose read began before now.</summary>
    public async ValueTask InvalidateAsync(string key, string? entityType, string? detail = null, CancellationToken cancellationToken = default)
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
        var removed = await _store.InvalidateAsync(key, cancellationToken).ConfigureAwait(false);
        _recorder.Record(CacheEventKind.Invalidate, key, entityType, _timeProvider.GetElapsedTime(started), detail, count: removed ? 1 : 0);
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
    public async ValueTask<int> FlushAsync(CancellationToken cancellationToken = default)
    {
        _inflight.Clear();
        var removed = await _store.ClearAsync(cancellationToken).ConfigureAwait(false);
        if (removed.Count > CacheRecorder.OneByOne || !removed.Named)
        {
            _recorder.RecordSummary(CacheEventKind.Invalidate, removed.Count, $"flush: {removed.Count} entries");
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
            _store.Capacity);
    }

    private async ValueTask<CacheRead<T>> ReadAsync<T, TState>(
        string key,
        TState state,
        Func<TState, CancellationToken, Task<T?>> load,
        CacheReadPolicy policy,
        long started,
        ValueTask<CacheEntry?> pending,
        CancellationToken cancellationToken)
        where T : class
    {
        var entry = await pending.ConfigureAwait(false);
        if (entry?.Value is T cached && !IsStale(entry))
        {
            var elapsed = _timeProvider.GetElapsedTime(started);
            _recorder.Record(CacheEventKind.Hit, key, policy.EntityType, elapsed);
            return new CacheRead<T>(cached, true, elapsed);
        }

        return await MissAsync(key, state, load, policy, started, entry, cancellationToken).ConfigureAwait(false);
    }

    private async ValueTask<CacheRead<T>> MissAsync<T, TState>(
        string key,
        TState state,
        Func<TState, CancellationToken, Task<T?>> load,
        CacheReadPolicy policy,
        long started,
        CacheEntry? entry,
        CancellationToken cancellationToken)
        where T : class
    {
        var entityType = policy.EntityType;
        if (entry is not null && IsStale(entry))
        {
            await InvalidateStaleAsync(entry, cancellationToken).ConfigureAwait(false);
        }
        else if (entry is not null)
        {
            _recorder.Record(CacheEventKind.Clash, key, entityType,
                detail: $"key {key} holds a {entry.EntityType}, not a {entityType}: bare-id keys collide across models");
        }

        var (value, hit) = await LoadOnceAsync(key, policy, state, load, started, cancellationToken).ConfigureAwait(false);
        var duration = _timeProvider.GetElapsedTime(started);
        if (!hit)
        {
            _recorder.Telemetry?.Miss(entityType, duration);
        }

        return new CacheRead<T>(value, hit, duration);
    }

    private async Task<(T? Value, bool Hit)> LoadOnceAsync<T, TState>(
        string key,
        CacheReadPolicy policy,
        TState state,
        Func<TState, CancellationToken, Task<T?>> load,
        long started,
        CancellationToken cancellationToken)
        where T : class
    {
        var entityType = policy.EntityType;
        var slot = (key, typeof(T));
        while (true)
        {
            if (_inflight.TryGetValue(slot, out var running))
            {
                _recorder.Record(CacheEventKind.Miss, key, entityType, _timeProvider.GetElapsedTime(started),
                    detail: "joined the database read already under way for this key");
                return ((T?)await running.WaitAsync(cancellationToken).ConfigureAwait(false), false);
            }

            var owner = new TaskCompletionSource<object?>(TaskCreationOptions.RunContinuationsAsynchronously);
            if (_inflight.TryAdd(slot, owner.Task))
            {
                // A read of this key may have finished between this caller's miss and now: it populated the key before
                // it left the in-flight table, so the store has it. Served from there, as a hit, not read again.
                // The ticket for this caller's database read comes with it (one Redis round trip, not two).
                CacheEntry? landed;
                PopulateTicket? ticket;
                try
                {
                    (landed, ticket) = await _store.GetForPopulateAsync(key, CancellationToken.None).ConfigureAwait(false);
                }
                catch (Exception ex)
                {
                    owner.TrySetException(ex);
                    _inflight.TryRemove(new KeyValuePair<(string, Type), Task<object?>>(slot, owner.Task));
                    throw;
                }

                if (landed?.Value is T fresh && !IsStale(landed))
                {
                    owner.TrySetResult(fresh);
                    _inflight.TryRemove(new KeyValuePair<(string, Type), Task<object?>>(slot, owner.Task));
                    _recorder.RecordHit(key, entityType);
                    return (fresh, true);
                }

                _recorder.Record(CacheEventKind.Miss, key, entityType, _timeProvider.GetElapsedTime(started));

                // The read runs detached from this caller's token: a cancelled waiter must not fail the others.
                _ = ReadAndPopulateAsync(slot, policy, state, load, owner, ticket);
                return ((T?)await owner.Task.WaitAsync(cancellationToken).ConfigureAwait(false), false);
            }
        }
    }

    private async Task ReadAndPopulateAsync<T, TState>(
        (string Key, Type Type) slot,
        CacheReadPolicy policy,
        TState state,
        Func<TState, CancellationToken, Task<T?>> load,
        TaskCompletionSource<object?> owner,
        PopulateTicket? taken)
        where T : class
    {
        var key = slot.Key;
        var entityType = policy.EntityType;
        using var activity = QsetTelemetry.Source.StartActivity(QsetTelemetry.LoadActivity);
        activity?.SetTag(QsetTelemetry.KeyTag, key);
        activity?.SetTag(QsetTelemetry.EntityTypeTag, entityType);
        try
        {
            var ticket = policy.PopulateGuard ? taken ?? await _store.BeginPopulateAsync(key).ConfigureAwait(false) : default(PopulateTicket?);
            _recorder.Counters.CountDbQuery();
            var stamps = _versions.Capture(policy.DependsOn);
            using var read = CacheContext.BeginLoad();
            var readStarted = _timeProvider.GetTimestamp();
            var value = await load(state, CancellationToken.None).ConfigureAwait(false);
            var readTime = _timeProvider.GetElapsedTime(readStarted);
            if (value is null)
            {
                activity?.SetTag(QsetTelemetry.OutcomeTag, "not_found");
            }
            else if (read.SawTransaction)
            {
                activity?.SetTag(QsetTelemetry.OutcomeTag, "rejected");
                _recorder.Record(CacheEventKind.Reject, key, entityType, readTime, CacheContext.UncommittedReason);
            }
            else
            {
                var entry = CreateEntry(key, entityType, value, policy.Ttl, stamps);

                // Unguarded, the ticket is taken only now: a write during the read goes unseen, as the policy asks.
                ticket ??= await _store.BeginPopulateAsync(key).ConfigureAwait(false);
                var result = await _store.TryPopulateAsync(entry, ticket.Value).ConfigureAwait(false);
                activity?.SetTag(QsetTelemetry.OutcomeTag, result.Stored ? "populated" : "rejected");
                if (result.Stored)
                {
                    _recorder.Record(CacheEventKind.Populate, key, entityType, readTime,
                        result.ReplacedEntityType is { } replaced ? $"overwrote a {replaced} cached under the same key" : null);
                }
                else
                {
                    _recorder.Record(CacheEventKind.Reject, key, entityType, readTime, result.Reason);
                }
            }

            owner.TrySetResult(value);
        }
#pragma warning disable CA1031 // The failure is handed to every waiter through the task.
        catch (Exception ex)
#pragma warning restore CA1031
        {
            activity?.SetTag(QsetTelemetry.OutcomeTag, "failed");
            activity?.SetStatus(System.Diagnostics.ActivityStatusCode.Error, ex.Message);
            _recorder.Record(CacheEventKind.Error, key, entityType, detail: $"database read failed: {ex.Message}");
            owner.TrySetException(ex);
        }
        finally
        {
            _inflight.TryRemove(new KeyValuePair<(string, Type), Task<object?>>(slot, owner.Task));
        }
    }

    private CacheEntry CreateEntry(string key, string entityType, object value, TimeSpan? ttl, TableStamp[] stamps)
    {
        var now = _timeProvider.GetUtcNow();
        return new CacheEntry(
            key,
            entityType,
            value,
            now,
            _timeProvider.GetTimestamp(),
            now + (ttl ?? _options.DefaultTtl),
            _options.SlidingTtl)
        {
            Stamps = stamps,
        };
    }
}

/// <summary>The outcome of a cache-aside read.</summary>
/// <param name="Value">The entity, or null when the database has no such row.</param>
/// <param name="Hit">True when the cache answered without the database.</param>
/// <param name="Duration">How long the read took.</param>
public readonly record struct CacheRead<T>(T? Value, bool Hit, TimeSpan Duration)
    where T : class;
