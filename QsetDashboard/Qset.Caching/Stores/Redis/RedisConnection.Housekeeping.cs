using StackExchange.Redis;

namespace Qset.Caching.Redis;

/// <summary>
/// Background upkeep of the shared store: new flush epochs, the reclaim of old ones (one node at a time, under a lease)
/// and the trim of expired keys from the indexes, a chunk a call so other clients are served in between.
/// </summary>
internal sealed partial class RedisConnection
{
    /// <summary>How many index members one call of <see cref="RedisScripts.InvalidateTypeChunk"/> or <see cref="RedisScripts.DropChunk"/> takes.</summary>
    internal const int DropChunkSize = 1_000;

    /// <summary>
    /// Starts a new flush epoch (<see cref="RedisScripts.NewEpoch"/>): one call, whatever the cache holds, after which
    /// no value stored before is served and no populate begun before is stored, on any node. When the old epoch held at
    /// most <paramref name="nameUpTo"/> live keys their entries are dropped now and named in <paramref name="dropped"/>;
    /// the rest of the old epoch is reclaimed in the background. Returns how many live keys the old epoch held.
    /// </summary>
    public async Task<long> NewEpochAsync(IDatabase database, int nameUpTo, List<RemovedEntry> dropped)
    {
        ArgumentNullException.ThrowIfNull(database);
        ArgumentNullException.ThrowIfNull(dropped);
        var reply = (RedisResult[])(await database.ScriptEvaluateAsync(
            RedisScripts.NewEpoch,
            [EpochKey, EpochsKey],
            [IndexPrefix, EntryPrefix, nameUpTo]).ConfigureAwait(false))!;
        var pairs = (RedisResult[])reply[2]!;
        for (var i = 0; i + 1 < pairs.Length; i += 2)
        {
            dropped.Add(new RemovedEntry((string)pairs[i + 1]!, (string)pairs[i]!));
        }

        StartHousekeeping();
        return (long)reply[1];
    }

    /// <summary>
    /// Reclaims old flush epochs' keys, then drops expired members from the current epoch's indexes, in the
    /// background: <see cref="DropChunkSize"/> (or 2,000 expired) a script call, with a pause between calls so other
    /// clients are served in between, until nothing is left. A million keys left by a flush or a recovery, or that
    /// expired together, go within seconds and no call holds Redis long. One such run at a time per node; any node may
    /// run one (each call is atomic, and two nodes only share the work).
    /// </summary>
    public void StartHousekeeping()
    {
        // Asked for while one runs (a flush during a trim): that run goes round once more, so the new epoch is reclaimed.
        Volatile.Write(ref _housekeepingWanted, 1);
        if (Interlocked.Exchange(ref _housekeeping, 1) == 1)
        {
            return;
        }

        Volatile.Write(ref _housekeepingStartedAt, _timeProvider.GetTimestamp());
        _seams.HousekeepingStarted();
        _ = Task.Run(HousekeepAsync);
    }

    /// <summary>
    /// A count or a by-size page asks for housekeeping, to trim what expired: started unless a run began within the
    /// last second. An open Cache page counts every second, and a run is three round trips even with nothing to do;
    /// counts are exact without the trim, which only keeps the indexes from growing.
    /// </summary>
    public void RequestHousekeeping()
    {
        var started = Volatile.Read(ref _housekeepingStartedAt);
        if (started == 0 || _timeProvider.GetElapsedTime(started) >= _seams.HousekeepingAskedEvery)
        {
            StartHousekeeping();
        }
    }

    // When the latest housekeeping run began (a TimeProvider timestamp); 0 before the first.
    private long _housekeepingStartedAt;

    private async Task HousekeepAsync()
    {
        try
        {
            while (Interlocked.Exchange(ref _housekeepingWanted, 0) == 1)
            {
                if (!await ReclaimOldEpochsAsync().ConfigureAwait(false))
                {
                    // Another node reclaims: look again once its lease would have run out, in case it stopped.
                    _ = RetryHousekeepingAsync(_seams.ReclaimLease);
                }

                while (!Disposed && InvalidationDatabase is { } database)
                {
                    var left = (long)await database.ScriptEvaluateAsync(RedisScripts.TrimExpired, [EpochKey], [IndexPrefix]).ConfigureAwait(false);
                    if (left == 0)
                    {
                        break;
                    }

                    await Task.Delay(HousekeepingPause, _timeProvider).ConfigureAwait(false);
                }
            }

            Volatile.Write(ref _housekeepingRetryMs, 1_000);
        }
        catch (Exception ex) when (IsOutage(ex))
        {
            // Tried again after a pause that doubles with each failure in a row (a second, up to a minute): an old
            // epoch whose reclaim failed is not left in Redis until the next flush.
            var pause = Volatile.Read(ref _housekeepingRetryMs);
            Volatile.Write(ref _housekeepingRetryMs, Math.Min(pause * 2, 60_000));
            _ = RetryHousekeepingAsync(TimeSpan.FromMilliseconds(pause));
        }
        finally
        {
            Volatile.Write(ref _housekeeping, 0);
        }

        // Asked for between the last look and the end of this run.
        if (Volatile.Read(ref _housekeepingWanted) == 1 && !Disposed)
        {
            StartHousekeeping();
        }
    }

    private async Task RetryHousekeepingAsync(TimeSpan pause)
    {
        try
        {
            await Task.Delay(pause, _timeProvider, _disposed.Token).ConfigureAwait(false);
            StartHousekeeping();
        }
        catch (OperationCanceledException)
        {
            // Disposed: no more housekeeping.
        }
    }

    private int _housekeepingRetryMs = 1_000;

    /// <summary>True while a housekeeping run is under way on this node.</summary>
    internal bool Housekeeping => Volatile.Read(ref _housekeeping) == 1;

    private int _housekeepingWanted;
    private int _housekeeping;

    /// <summary>The pause between two calls of the housekeeping, so other clients are served in between.</summary>
    private static readonly TimeSpan HousekeepingPause = TimeSpan.FromMilliseconds(10);

    /// <summary>
    /// Reclaims every old epoch. False when another node holds the reclaim (<see cref="RedisScripts.DropChunk"/>):
    /// this node looks again after the reclaim lease (<see cref="IStoreSeams.ReclaimLease"/>), in case that node stopped.
    /// </summary>
    private async Task<bool> ReclaimOldEpochsAsync()
    {
        if (InvalidationDatabase is { } first
            && await first.KeyExistsAsync([$"{Prefix}live", $"{Prefix}size", $"{Prefix}types"]).ConfigureAwait(false) > 0
            && !await ReclaimAsync(first, string.Empty).ConfigureAwait(false))
        {
            // Indexes a version before flush epochs left directly under the prefix: its values name no epoch (never
            // served), and its indexes would stay forever.
            return false;
        }

        while (!Disposed && InvalidationDatabase is { } database)
        {
            var epochs = await database.SetMembersAsync(EpochsKey).ConfigureAwait(false);
            if (epochs.Length == 0)
            {
                return true;
            }

            foreach (var epoch in epochs)
            {
                if (!await ReclaimAsync(database, (string)epoch!).ConfigureAwait(false))
                {
                    return false;
                }
            }
        }

        return true;
    }

    /// <summary>
    /// Reclaims the keys of one old <paramref name="epoch"/> (empty: the indexes from before epochs), a chunk a call;
    /// false when another node holds the reclaim.
    /// </summary>
    private async Task<bool> ReclaimAsync(IDatabase database, string epoch)
    {
        while (!Disposed)
        {
            await _seams.BeforeReclaimChunkAsync().ConfigureAwait(false);

            var taken = (long)await database.ScriptEvaluateAsync(
                RedisScripts.DropChunk,
                [EpochKey, EpochsKey, ReclaimerKey],
                [IndexPrefix, EntryPrefix, epoch, DropChunkSize, Prefix, NodeId, (long)_seams.ReclaimLease.TotalMilliseconds]).ConfigureAwait(false);
            if (taken < 0)
            {
                return false;
            }

            if (taken < DropChunkSize)
            {
                return true;
            }

            await Task.Delay(HousekeepingPause, _timeProvider).ConfigureAwait(false);
        }

        return true;
    }

    /// <summary>Every entry key under the prefix, found with SCAN (never KEYS).</summary>
    public async Task<IReadOnlyList<RedisKey>> ScanEntryKeysAsync()
    {
        List<RedisKey> keys = [];
        foreach (var server in Multiplexer.GetServers())
        {
            if (!server.IsConnected || server.IsReplica)
            {
                continue;
            }

            await foreach (var key in server.KeysAsync(pattern: $"{EntryPrefix}*", pageSize: 500).ConfigureAwait(false))
            {
                keys.Add(key);
            }
        }

        return keys;
    }
}
