using StackExchange.Redis;

namespace Qset.Caching.Redis;

/// <summary>
/// Invalidations while Redis is down: deferred (bounded; past the bound, the recovery starts a new flush epoch), replayed
/// before reads resume, and the recovery that runs once the connection is back.
/// </summary>
internal sealed partial class RedisConnection
{
    private const int MaxDeferredInvalidations = 10_000;
    private static readonly TimeSpan RecoveryRetryDelay = TimeSpan.FromMilliseconds(250);

    /// <summary>
    /// A write whose effect on Redis could not be recorded (a bulk write during an outage): on reconnect, drop every
    /// entry under the prefix, since which of them went stale is unknown.
    /// </summary>
    public void DeferAll()
    {
        lock (_deferLock)
        {
            Volatile.Write(ref _deferredOverflow, 1);
            Volatile.Write(ref _degraded, 1);
        }

        ReportFailure("a bulk write's invalidation waits for Redis");
    }

    /// <summary>Records that Redis failed a command; the first failure of an outage raises DEGRADED.</summary>
    public void ReportFailure(Exception exception)
    {
        ArgumentNullException.ThrowIfNull(exception);
        ReportFailure($"{exception.GetType().Name}: {exception.Message}");
    }

    /// <summary>Records that Redis is unreachable, for <paramref name="reason"/>.</summary>
    public void ReportFailure(string reason)
    {
        // Another node may have acknowledged writes whose invalidations wait on that node: this one cannot know which
        // entries they made stale (an AOF-restored or stalled server still holds them), so its recovery drops them all.
        lock (_deferLock)
        {
            Volatile.Write(ref _deferredOverflow, 1);
            Volatile.Write(ref _degraded, 1);
        }

        if (Interlocked.Exchange(ref _degradedReported, 1) == 0)
        {
            LogDegraded(_logger, reason);
            _recorder.Record(CacheEventKind.Degraded, "*", null, detail: $"Redis unavailable ({reason}); reading from the database", source: "redis");
        }
    }

    /// <summary>
    /// Keeps an invalidation that could not reach Redis, to replay on reconnect; until it is replayed the connection
    /// is degraded, so no read is served from Redis in between.
    /// </summary>
    public void Defer(string key)
    {
        lock (_deferLock)
        {
            if (_deferred.Count < MaxDeferredInvalidations || _deferred.ContainsKey(key))
            {
                _deferred[key] = ++_deferSequence;
            }
            else
            {
                Volatile.Write(ref _deferredOverflow, 1);
            }

            Volatile.Write(ref _degraded, 1);
        }

        ReportFailure("an invalidation waits for Redis");
    }

    /// <summary>How long an invalidated key's generation is kept, in ms: an hour, or twice the default TTL if longer.</summary>
    private long GenerationTtlMs => (long)Math.Max(TimeSpan.FromHours(1).TotalMilliseconds, 2 * _options.DefaultTtl.TotalMilliseconds);

    /// <summary>Runs the invalidation script: bump the key's generation, drop its entry. True when an entry was dropped.</summary>
    public async Task<bool> InvalidateAsync(IDatabase database, string key)
    {
        ArgumentNullException.ThrowIfNull(database);
        var deleted = await database.ScriptEvaluateAsync(
            RedisScripts.Invalidate,
            [EntryKey(key), GenerationKey(key), EpochKey],
            [GenerationTtlMs, key, IndexPrefix, TableOf(key) ?? string.Empty]).ConfigureAwait(false);
        return (long)deleted > 0;
    }

    /// <summary>
    /// Invalidates every key of <paramref name="entityType"/>, <see cref="DropChunkSize"/> a call, from its type index
    /// (a bulk write of its table). Adds the keys whose entry it dropped to <paramref name="dropped"/> as it goes, so a
    /// failure part way still tells what went.
    /// </summary>
    public async Task InvalidateTypeAsync(IDatabase database, string entityType, List<string> dropped)
    {
        ArgumentNullException.ThrowIfNull(database);
        ArgumentNullException.ThrowIfNull(dropped);

        // As many calls as the index held after the first, and one more: populates that began after the write (the
        // table's bump refuses every earlier one) may refill it meanwhile, and are fresh.
        long? calls = null;
        for (var call = 0; calls is null || call < calls; call++)
        {
            var reply = (RedisResult[])(await database.ScriptEvaluateAsync(
                RedisScripts.InvalidateTypeChunk,
                [EpochKey],
                [EntryPrefix, GenerationPrefix, GenerationTtlMs, DropChunkSize, IndexPrefix, entityType]).ConfigureAwait(false))!;
            foreach (var key in (RedisResult[])reply[1]!)
            {
                dropped.Add((string)key!);
            }

            if ((long)reply[0] < DropChunkSize)
            {
                return;
            }

            calls ??= ((long)reply[2] / DropChunkSize) + 2;
        }
    }

    /// <summary>
    /// The recovery: one at a time, tried again every <see cref="RecoveryRetryDelay"/> while Redis is connected and
    /// the attempt fails, so an idle node recovers without waiting for traffic. A read that finds the connection
    /// degraded meanwhile joins the recovery under way (waiting to retry counts as under way) instead of starting
    /// another: otherwise every such read would leave an attempt of its own waiting to retry, and each of those would
    /// run a recovery of its own after the first one had succeeded (clearing L1 again, recording RECOVERED again).
    /// </summary>
    private async Task RecoverAsync()
    {
        if (Volatile.Read(ref _degraded) == 0 || Interlocked.Exchange(ref _recovering, 1) == 1)
        {
            return;
        }

        bool usable;
        try
        {
            // The server that answers now may not be the one that failed (restarted with another configuration, a
            // failover): its fit is read again first. Nothing to recover towards on a server the cache cannot use; the
            // periodic read of its fit tells when it can be, and the next read then recovers.
            await RefreshFitAsync().ConfigureAwait(false);
            usable = Volatile.Read(ref _fit) is not { Length: > 0 };
            if (usable)
            {
                await RecoverUntilDoneAsync().ConfigureAwait(false);
            }
        }
        finally
        {
            Interlocked.Exchange(ref _recovering, 0);
        }

        // A failure after the recovery's last attempt, or a reconnection after it gave up for want of a connection,
        // found it still under way and left the recovery to it.
        if (usable && Volatile.Read(ref _degraded) == 1 && !_disposed.IsCancellationRequested && Multiplexer.IsConnected)
        {
            _ = RecoverAsync();
        }
    }

    /// <summary>Attempts until one succeeds, while connected (a reconnection starts the next recovery) and not disposed.</summary>
    private async Task RecoverUntilDoneAsync()
    {
        while (!await TryRecoverAsync().ConfigureAwait(false))
        {
            if (_disposed.IsCancellationRequested || !Multiplexer.IsConnected)
            {
                return;
            }

            try
            {
                await Task.Delay(RecoveryRetryDelay, _timeProvider, _disposed.Token).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                // Disposed: nothing left to recover.
                return;
            }
        }
    }

    /// <summary>True while a recovery is running or waiting to try again (at most one is, whatever the traffic).</summary>
    internal bool Recovering => Volatile.Read(ref _recovering) == 1;

    /// <summary>One attempt: replay, the recovery steps, then reads resume. False when it failed (an outage still going on).</summary>
    private async Task<bool> TryRecoverAsync()
    {
        try
        {
            var database = Multiplexer.GetDatabase();
            while (true)
            {
                await ReplayDeferredAsync(database).ConfigureAwait(false);
                Func<Task>[] steps;
                lock (_recoverySteps)
                {
                    steps = [.. _recoverySteps];
                }

                foreach (var step in steps)
                {
                    await step().ConfigureAwait(false);
                }

                // Reads resume only with nothing left to replay; a deferral made during the steps goes round again.
                lock (_deferLock)
                {
                    if (_deferred.IsEmpty && Volatile.Read(ref _deferredOverflow) == 0)
                    {
                        Volatile.Write(ref _degraded, 0);
                        Volatile.Write(ref _degradedReported, 0);
                        break;
                    }
                }
            }

            LogRecovered(_logger);
            _recorder.Record(CacheEventKind.Recovered, "*", null, detail: "Redis answers again; missed invalidations replayed", source: "redis");
            GuardedEvent.Raise(Restored, this, _logger);
            return true;
        }
#pragma warning disable CA1031 // A failed recovery is an outage still going on; it is tried again.
        catch (Exception ex)
#pragma warning restore CA1031
        {
            ReportFailure(ex);
            return false;
        }
    }

    private async Task ReplayDeferredAsync(IDatabase database)
    {
        var pending = _deferred.ToArray();
        if (Interlocked.Exchange(ref _deferredOverflow, 0) == 1)
        {
            // Which entries went stale is unknown: a new flush epoch refuses every populate that began before it and
            // every value stored before it, in one call; the old epoch's keys are reclaimed in the background.
            await NewEpochAsync(database, nameUpTo: 0, []).ConfigureAwait(false);
        }

        foreach (var (key, sequence) in pending)
        {
            await InvalidateAsync(database, key).ConfigureAwait(false);
            _deferred.TryRemove(KeyValuePair.Create(key, sequence));
        }
    }
}
