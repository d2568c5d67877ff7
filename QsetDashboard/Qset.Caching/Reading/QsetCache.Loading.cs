namespace Qset.Caching;

/// <summary>
/// The engine's miss path: one database read per key at a time (readers of a key in flight join it), the populate
/// ticket taken before the read, and the populate refused when the key was invalidated meanwhile.
/// </summary>
public sealed partial class QsetCache
{
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
            if (entry.FailSafe is not null)
            {
                return FailSafeHit(entry, cached, policy, elapsed);
            }

            if (_eagerRefresh > 0)
            {
                RefreshWhenDue(key, state, load, policy, entry, 0);
            }

            _recorder.Record(CacheEventKind.Hit, key, policy.EntityType, elapsed);
            return new CacheRead<T>(GuardsValues ? Hand(key, policy.EntityType, cached) : cached, true, elapsed);
        }

        return await MissAsync(key, state, load, policy, started, entry, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// A read while the database feed is not live: straight from the database, not cached, recorded as a MISS that says
    /// why. An entry held now may have been replaced by a write the feed has not seen.
    /// </summary>
    private async ValueTask<CacheRead<T>> ReadPastCacheAsync<T, TState>(
        string key,
        TState state,
        Func<TState, CancellationToken, Task<T?>> load,
        CacheReadPolicy policy,
        CancellationToken cancellationToken)
        where T : class
    {
        var started = _timeProvider.GetTimestamp();

        // Fail-safe's value of a database that failed a moment ago is served until the throttle's end: it was vouched
        // for by the guard when stored, and a write since would have removed it.
        if (_shelf.On && await _store.GetAsync(key, cancellationToken).ConfigureAwait(false) is { FailSafe: not null, Value: T held } shelved && !IsStale(shelved))
        {
            return FailSafeHit(shelved, held, policy, _timeProvider.GetElapsedTime(started));
        }

        _recorder.Counters.CountDbQuery();
        T? value;
        try
        {
            value = await load(state, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex) when (_shelf.On && ex is not OperationCanceledException)
        {
            if (await TryFailSafeAsync(key, policy, typeof(T), ex).ConfigureAwait(false) is not { } served)
            {
                throw;
            }

            return new CacheRead<T>((T)served.Value, false, _timeProvider.GetElapsedTime(started)) { StaleReason = served.Reason };
        }

        var duration = _timeProvider.GetElapsedTime(started);
        _recorder.Record(CacheEventKind.Miss, key, policy.EntityType, duration,
            detail: $"read from the database, not cached: {_feeds.BlindReason ?? "the change feed was not live"}");
        return new CacheRead<T>(value, false, duration);
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

        var (value, hit, stale) = await LoadOnceAsync(key, policy, state, load, started, cancellationToken).ConfigureAwait(false);
        var duration = _timeProvider.GetElapsedTime(started);
        if (!hit && stale is null)
        {
            _recorder.Telemetry?.Miss(entityType, duration);
        }

        return new CacheRead<T>(GuardsValues && value is not null ? Hand(key, entityType, value) : value, hit, duration) { StaleReason = stale };
    }

    private async Task<(T? Value, bool Hit, string? Stale)> LoadOnceAsync<T, TState>(
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
                var (joined, joinedStale) = Unwrap<T>(await running.WaitAsync(cancellationToken).ConfigureAwait(false));
                return (joined, false, joinedStale);
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
                    owner.TrySetResult(landed.FailSafe is null ? fresh : new FailSafeValue(fresh, landed.FailSafe));
                    _inflight.TryRemove(new KeyValuePair<(string, Type), Task<object?>>(slot, owner.Task));
                    if (landed.FailSafe is not null)
                    {
                        var read = FailSafeHit(landed, fresh, policy, _timeProvider.GetElapsedTime(started));
                        return (read.Value, true, read.StaleReason);
                    }

                    _recorder.RecordHit(key, entityType);
                    return (fresh, true, null);
                }

                _recorder.Record(CacheEventKind.Miss, key, entityType, _timeProvider.GetElapsedTime(started));

                // The read runs detached from this caller's token: a cancelled waiter must not fail the others.
                _ = ReadAndPopulateAsync(slot, policy, state, load, owner, ticket);
                var (loaded, loadedStale) = Unwrap<T>(await owner.Task.WaitAsync(cancellationToken).ConfigureAwait(false));
                return (loaded, false, loadedStale);
            }
        }
    }

    private async Task ReadAndPopulateAsync<T, TState>(
        (string Key, Type Type) slot,
        CacheReadPolicy policy,
        TState state,
        Func<TState, CancellationToken, Task<T?>> load,
        TaskCompletionSource<object?> owner,
        PopulateTicket? taken,
        bool refreshing = false)
        where T : class
    {
        var key = slot.Key;
        var entityType = policy.EntityType;
        using var activity = QsetTelemetry.Source.StartActivity(QsetTelemetry.LoadActivity);
        activity?.SetTag(QsetTelemetry.KeyTag, key);
        activity?.SetTag(QsetTelemetry.EntityTypeTag, entityType);
        var leading = false;
        try
        {
            var ticket = taken ?? await _store.BeginPopulateAsync(key).ConfigureAwait(false);
            if (_loads.Wait > TimeSpan.Zero)
            {
                // One read per key across nodes: another node's read of it under way is waited for, not repeated.
                if (await _loads.TryLeadAsync(key).ConfigureAwait(false) is { } holder)
                {
                    if (await WaitForAnotherNodeAsync<T>(key, holder).ConfigureAwait(false) is { } landed)
                    {
                        _recorder.Record(CacheEventKind.Miss, key, entityType,
                            detail: $"node {holder} read it from the database for the cluster: this node took its populate");
                        owner.TrySetResult(landed.FailSafe is null ? landed.Value : new FailSafeValue(landed.Value, landed.FailSafe));
                        return;
                    }
                }
                else
                {
                    leading = true;
                }
            }

            _recorder.Counters.CountDbQuery();
            var stamps = _versions.Capture(policy.DependsOn);
            using var read = CacheContext.BeginLoad();
            var readStarted = _timeProvider.GetTimestamp();
            var value = await LoadWithinTimeoutsAsync(key, policy, state, load, owner).ConfigureAwait(false);
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

                if (!policy.PopulateGuard)
                {
                    // Unguarded, the ticket that counts is taken only now: a write during the read goes unseen, as the
                    // policy asks. What no write brings back stays as the read's own ticket had it: a flush epoch, and a
                    // ticket taken while the store was down.
                    var late = await _store.BeginPopulateAsync(key).ConfigureAwait(false);
                    ticket = ticket.Stamp < 0 ? ticket : late with { Epoch = ticket.Epoch };
                }

                var result = await _store.TryPopulateAsync(entry, ticket).ConfigureAwait(false);
                activity?.SetTag(QsetTelemetry.OutcomeTag, result.Stored ? "populated" : "rejected");
                if (result.Stored)
                {
                    Stored(entry, ticket, policy.PopulateGuard);

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
            if (refreshing)
            {
                // The entry it would have replaced is still within its TTL, and stays.
                activity?.SetTag(QsetTelemetry.OutcomeTag, "failed");
                _recorder.Record(CacheEventKind.Error, key, entityType, detail: $"eager refresh failed ({ex.GetBaseException().Message}): the cached value is served until its TTL");
                owner.TrySetException(ex);
                return;
            }

            if (owner.Task.IsCompleted)
            {
                // Its readers were answered at the soft timeout; the read that went on in the background failed.
                activity?.SetTag(QsetTelemetry.OutcomeTag, "failed");
                _recorder.Record(CacheEventKind.Error, key, entityType, detail: $"database read failed in the background, after the soft timeout: {ex.GetBaseException().Message}");
                return;
            }

            if (_shelf.On && await TryFailSafeAsync(key, policy, typeof(T), ex).ConfigureAwait(false) is { } served)
            {
                activity?.SetTag(QsetTelemetry.OutcomeTag, "stale");
                owner.TrySetResult(served);
                return;
            }

            activity?.SetTag(QsetTelemetry.OutcomeTag, "failed");
            activity?.SetStatus(System.Diagnostics.ActivityStatusCode.Error, ex.Message);
            _recorder.Record(CacheEventKind.Error, key, entityType, detail: $"database read failed: {ex.Message}");
            owner.TrySetException(ex);
        }
        finally
        {
            _inflight.TryRemove(new KeyValuePair<(string, Type), Task<object?>>(slot, owner.Task));
            if (leading)
            {
                // After the populate, so that the nodes waiting find it; not awaited: the read has its answer.
                _ = _loads.ReleaseAsync(key).AsTask();
            }
        }
    }

    /// <summary>
    /// What follows a populate the store accepted: fail-safe keeps the value with its ticket (a guarded one only: the
    /// guard is what later vouches for it), and the check of shared values takes its fingerprint.
    /// </summary>
    private void Stored(CacheEntry entry, PopulateTicket ticket, bool guarded)
    {
        if (guarded)
        {
            _shelf.Keep(entry, ticket);
        }

        Fingerprint(entry.Value);
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
