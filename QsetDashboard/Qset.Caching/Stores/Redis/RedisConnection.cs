using System.Collections.Concurrent;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using StackExchange.Redis;

namespace Qset.Caching.Redis;

/// <summary>
/// The app's one Redis connection, and its health as the cache sees it. Commands fail fast while Redis is down
/// (no backlog), so a read goes to the database at once. An invalidation that could not reach Redis is kept (bounded)
/// and replayed when the connection comes back; past the bound, every entry under the prefix is dropped instead.
/// </summary>
/// <remarks>
/// Every recovery starts a new flush epoch (one script call, whatever the cache holds; each value names its epoch and
/// a read serves only the current one's): whichever node's writes went uninvalidated during the outage, nothing from
/// before it is served after it. The old epoch's keys are reclaimed in the background.
/// The rule that keeps values true across an outage: while an invalidation is waiting to be replayed, or a store's
/// recovery step (a Hybrid node's L1 clear) has not run, the connection counts as degraded and <see cref="Database"/>
/// hands out nothing, so no value is read from Redis or stored in it. <see cref="Defer"/> and the end of a recovery
/// take one lock, so a deferral can never slip between the last replay and the moment reads resume.
/// </remarks>
internal sealed partial class RedisConnection : IDisposable
{
    private const int MaxDeferredInvalidations = 10_000;
    private static readonly TimeSpan RecoveryRetryDelay = TimeSpan.FromMilliseconds(250);

    private readonly CacheOptions _options;
    private readonly CacheRecorder _recorder;
    private readonly ILogger<RedisConnection> _logger;
    private readonly TimeProvider _timeProvider;
    private readonly IStoreSeams _seams;
    // Each deferred key with the sequence of its latest deferral: a replay removes only the deferral it replayed.
    private readonly ConcurrentDictionary<string, long> _deferred = new(StringComparer.Ordinal);
    private readonly Lock _deferLock = new();
    private readonly List<Func<Task>> _recoverySteps = [];
    private long _deferSequence;
    private readonly Lazy<ConnectionMultiplexer> _multiplexer;
    private readonly CancellationTokenSource _disposed = new();
    private int _degraded;
    private int _deferredOverflow;
    private int _recovering;

    // Whether the server can be used (see Unfit): null not known yet, Fit when it can, else why not. Read at the first
    // connection, again before each recovery (the server that answers may be another one, or restarted with another
    // configuration) and every IStoreSeams.FitRecheckInterval while connected (a CONFIG SET), never on the caller's
    // thread after the first connection: a check is a script call, and the caller may be one of the client's own threads.
    private string? _fit;
    private const string Fit = "";
    private readonly Lock _fitLock = new();
    private Task? _fitCheck;
    private long _fitCheckedAt;

    // The version the client assumes of a server until it has read the server's INFO.
    private Version? _assumedVersion;
    private bool _cluster;

    // One DEGRADED event per outage: set by the first failure, cleared when reads resume.
    private int _degradedReported;

    /// <summary>Creates the connection; it connects on first use and keeps reconnecting by itself.</summary>
    public RedisConnection(IOptions<CacheOptions> options, CacheRecorder recorder, TimeProvider timeProvider, IStoreSeams seams, ILogger<RedisConnection> logger)
    {
        _options = options.Value;
        _recorder = recorder;
        _timeProvider = timeProvider;
        _seams = seams;
        _logger = logger;
        Prefix = _options.RedisPrefix;
        _multiplexer = new Lazy<ConnectionMultiplexer>(Connect, LazyThreadSafetyMode.ExecutionAndPublication);
    }

    /// <summary>Raised after the connection comes back, deferred invalidations were replayed and every recovery step ran.</summary>
    public event EventHandler? Restored;

    /// <summary>The prefix of every key and channel.</summary>
    public string Prefix { get; }

    /// <summary>This node's id.</summary>
    public string NodeId => _options.NodeId;

    /// <summary>True while Redis is not answering, or when it is a server the cache cannot use (<see cref="Misconfiguration"/>).</summary>
    public bool IsDegraded => Volatile.Read(ref _degraded) == 1 || !Multiplexer.IsConnected || Misconfiguration is not null;

    /// <summary>
    /// Why Redis is not used, though it answers (<see cref="Unfit"/>); null when it can be, or before the first
    /// connection tells which it is. Read again every <see cref="IStoreSeams.FitRecheckInterval"/> and before each recovery.
    /// </summary>
    public string? Misconfiguration => CheckFit() is { Length: > 0 } reason ? reason : null;

    /// <summary>True when the server is a Redis Cluster (known from the first connection on).</summary>
    public bool IsCluster
    {
        get
        {
            CheckFit();
            return Volatile.Read(ref _cluster);
        }
    }

    /// <summary>The oldest Redis the cache's scripts run on (<c>ZRANGE … BYSCORE REV LIMIT</c>, <c>ZRANDMEMBER</c>).</summary>
    internal static readonly Version MinimumVersion = new(6, 2);

    /// <summary>
    /// Why a server cannot be used, or null when it can: older than <see cref="MinimumVersion"/> (the scripts would
    /// fail on every call); evicting any key under <c>maxmemory</c> (<paramref name="evictionPolicy"/>
    /// <c>allkeys-*</c>: the indexes carry no TTL so that a <c>volatile-*</c> policy never evicts them, and an entry
    /// left without its index would escape a bulk write's invalidation); or a cluster while <paramref name="prefix"/>
    /// is not a hash tag, so the keys one script touches (an entry, its generation, its indexes) would fall in
    /// different slots, which a cluster refuses.
    /// </summary>
    internal static string? Unfit(bool cluster, Version version, string prefix, string? evictionPolicy = null)
    {
        ArgumentNullException.ThrowIfNull(version);
        if (version < MinimumVersion)
        {
            return $"Redis {version} is older than {MinimumVersion}, the oldest the cache's scripts run on; upgrade the server";
        }

        if (evictionPolicy?.StartsWith("allkeys-", StringComparison.OrdinalIgnoreCase) == true)
        {
            return $"Redis evicts any key under its maxmemory-policy {evictionPolicy}, the cache's indexes too, and an entry whose index it evicted would escape invalidation by a bulk write; use a volatile-* policy (such as volatile-lru) or noeviction";
        }

        return cluster && !IsHashTag(prefix)
            ? $"Redis is a cluster and Cache:RedisPrefix '{prefix}' is not a hash tag, so the keys of one operation would fall in different slots; use a prefix such as '{{{prefix.TrimEnd(':')}}}:'"
            : null;
    }

    /// <summary>
    /// True when every key under <paramref name="prefix"/> hashes to the slot of the prefix's hash tag: a
    /// <c>{</c>, then at least one character, then a <c>}</c>, all in the prefix (Redis hashes the first such tag of a key).
    /// </summary>
    public static bool IsHashTag(string prefix)
    {
        ArgumentNullException.ThrowIfNull(prefix);
        var open = prefix.IndexOf('{', StringComparison.Ordinal);
        return open >= 0 && prefix.IndexOf('}', open + 1) > open + 1;
    }

    /// <summary>The multiplexer.</summary>
    public ConnectionMultiplexer Multiplexer => _multiplexer.Value;

    /// <summary>
    /// The database for reads and populates, or null while Redis is down or not yet recovered (the caller then falls
    /// back to the database). Connected but still degraded (a stall that ended, a first connection after a failed
    /// start, a deferral waiting), it starts the recovery and still answers null until the recovery has finished.
    /// </summary>
    public IDatabase? Database
    {
        get
        {
            if (!Usable())
            {
                return null;
            }

            if (Volatile.Read(ref _degraded) == 1)
            {
                _ = RecoverAsync();
                return null;
            }

            return Multiplexer.GetDatabase();
        }
    }

    /// <summary>
    /// The database for invalidations, or null while Redis is not connected: an invalidation is sent whenever it can
    /// reach Redis, recovered or not, so it never waits behind a replay.
    /// </summary>
    public IDatabase? InvalidationDatabase
    {
        get => Usable() ? Multiplexer.GetDatabase() : null;
    }

    /// <summary>True when Redis is connected and can be used; otherwise records why (the first failure of an outage).</summary>
    private bool Usable()
    {
        if (!Multiplexer.IsConnected)
        {
            ReportFailure("not connected");
            return false;
        }

        if (Misconfiguration is { } misconfiguration)
        {
            ReportFailure(misconfiguration);
            return false;
        }

        return true;
    }

    /// <summary>
    /// Adds a step every recovery runs after the replay and before reads resume (a Hybrid node clears its L1 and
    /// resubscribes here). A step that throws ends the recovery as failed; the next access tries again.
    /// </summary>
    public void AddRecoveryStep(Func<Task> step)
    {
        ArgumentNullException.ThrowIfNull(step);
        lock (_recoverySteps)
        {
            _recoverySteps.Add(step);
        }
    }

    /// <summary>The pub/sub subscriber.</summary>
    public ISubscriber Subscriber => Multiplexer.GetSubscriber();

    /// <summary>The entry key of a cache key.</summary>
    public RedisKey EntryKey(string key) => $"{EntryPrefix}{key}";

    /// <summary>What every entry key starts with (the scripts name an entry by it and its cache key).</summary>
    public string EntryPrefix => $"{Prefix}e:";

    /// <summary>The generation key of a cache key: bumped by every invalidation, checked by every populate.</summary>
    public RedisKey GenerationKey(string key) => $"{GenerationPrefix}{key}";

    /// <summary>What every generation key starts with.</summary>
    public string GenerationPrefix => $"{Prefix}g:";

    /// <summary>The flush epoch: bumped by every flush, checked by every populate.</summary>
    public RedisKey EpochKey => $"{Prefix}epoch";

    /// <summary>
    /// What every index key starts with: each flush epoch has its own indexes (<c>{prefix}i:{epoch}:live</c> …), which
    /// the scripts name from the epoch they read, so a flush or a recovery empties them all with one increment.
    /// </summary>
    public string IndexPrefix => $"{Prefix}i:";

    /// <summary>The set of old flush epochs whose keys are still to be reclaimed (<see cref="RedisScripts.DropChunk"/>).</summary>
    public RedisKey EpochsKey => $"{Prefix}epochs";

    /// <summary>The index of the cache keys held of an entity type in <paramref name="epoch"/>: what a bulk write of that table touches.</summary>
    public RedisKey TypeIndexKey(long epoch, string entityType) => $"{IndexPrefix}{epoch}:z:{entityType}";

    /// <summary>The set of entity types that have had keys in <paramref name="epoch"/>: where the counts by type start.</summary>
    public RedisKey TypesKey(long epoch) => $"{IndexPrefix}{epoch}:types";

    /// <summary>The index of live keys in <paramref name="epoch"/>, each scored by when it expires: what the exact count reads.</summary>
    public RedisKey LiveIndexKey(long epoch) => $"{IndexPrefix}{epoch}:live";

    /// <summary>The index of live keys in <paramref name="epoch"/> scored by the size of their value's JSON: the listing by size.</summary>
    public RedisKey SizeIndexKey(long epoch) => $"{IndexPrefix}{epoch}:size";

    /// <summary>The bulk-write generation key of a table.</summary>
    public RedisKey TableKey(string table) => $"{Prefix}t:{table}";

    /// <summary>
    /// The generation of every bulk write, whatever its table: what guards the populate of a bare key (the simple
    /// style's <c>1</c>), which names no table whose generation could.
    /// </summary>
    public RedisKey AnyBulkWriteKey => $"{Prefix}bulk";

    /// <summary>The bulk-write generation that guards a populate of <paramref name="key"/>: its table's, or for a bare key <see cref="AnyBulkWriteKey"/>.</summary>
    public RedisKey BulkGenerationKey(string key) => TableOf(key) is { } table ? TableKey(table) : AnyBulkWriteKey;

    /// <summary>The table of a by-id key (<c>User</c> of <c>User.1</c>), or null for a bare or query key.</summary>
    public static string? TableOf(string key)
    {
        var dot = key.IndexOf('.', StringComparison.Ordinal);
        return dot > 0 && !key.StartsWith(Queries.QueryKeys.Prefix, StringComparison.Ordinal) ? key[..dot] : null;
    }

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

    /// <summary>The cache key of an entry key, or null when it is not one of ours.</summary>
    public string? CacheKeyOf(string redisKey) =>
        redisKey.StartsWith(EntryPrefix, StringComparison.Ordinal) ? redisKey[EntryPrefix.Length..] : null;

    /// <summary>True when <paramref name="exception"/> means Redis is unreachable or slow, which the cache survives.</summary>
    /// <remarks>
    /// A command the client itself refuses (<see cref="RedisCommandException"/>: keys in different cluster slots, a
    /// command the server does not allow) counts too: the read goes to the database instead of failing its caller.
    /// </remarks>
    public static bool IsOutage(Exception exception) =>
        exception is RedisException or RedisCommandException or TimeoutException or ObjectDisposedException;

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

    /// <summary>True once the connection is disposed (the host is stopping): background work ends.</summary>
    internal bool Disposed => _disposed.IsCancellationRequested;

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

    /// <summary>The node that reclaims old epochs now (<see cref="RedisScripts.DropChunk"/>).</summary>
    public RedisKey ReclaimerKey => $"{Prefix}reclaimer";

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

    /// <inheritdoc />
    public void Dispose()
    {
        _disposed.Cancel();
        if (_multiplexer.IsValueCreated)
        {
            _multiplexer.Value.Dispose();
        }
    }

    private ConnectionMultiplexer Connect()
    {
        var configuration = ConfigurationOptions.Parse(_options.Redis!);
        configuration.AbortOnConnectFail = false;
        configuration.BacklogPolicy = BacklogPolicy.FailFast;
        configuration.ConnectTimeout = (int)Math.Max(1_000, _options.RedisTimeout.TotalMilliseconds * 2);
        configuration.SyncTimeout = (int)_options.RedisTimeout.TotalMilliseconds;
        configuration.AsyncTimeout = (int)_options.RedisTimeout.TotalMilliseconds;
        configuration.ClientName ??= $"qset-{_options.NodeId}";
        configuration.ReconnectRetryPolicy = new LinearRetry(500);
        _assumedVersion = configuration.DefaultVersion;
        var multiplexer = ConnectionMultiplexer.Connect(configuration);
        if (multiplexer.IsConnected)
        {
            // On the first caller's thread (the client has no threads of its own calling back yet): the first reads
            // know whether the server can be used. Later reads of it run in the background.
            Volatile.Write(ref _fitCheckedAt, _timeProvider.GetTimestamp());
            ReadFitAsync(multiplexer).GetAwaiter().GetResult();
            SeedEpoch(multiplexer);
        }

        // Either connection counts: a node whose subscription is down misses other nodes' invalidations.
        multiplexer.ConnectionFailed += (_, e) =>
            ReportFailure(e.Exception?.Message is { } message ? $"{e.ConnectionType} {e.FailureType}: {message}" : $"{e.ConnectionType} {e.FailureType}");
        multiplexer.ConnectionRestored += (_, _) =>
        {
            if (Volatile.Read(ref _degraded) == 1)
            {
                _ = RecoverAsync();
            }
        };
        if (!multiplexer.IsConnected)
        {
            ReportFailure($"cannot reach {_options.Redis}");
        }
        else
        {
            // What a node stopped part way through a reclaim (or a version before epochs) left is reclaimed now, not at
            // the next flush. From another thread: it reads the multiplexer this method is making.
            _ = Task.Run(StartHousekeeping);
        }

        return multiplexer;
    }

    /// <summary>Gives the flush epoch a value from the server's clock unless it has one (<see cref="RedisScripts.SeedEpoch"/>).</summary>
    private void SeedEpoch(ConnectionMultiplexer multiplexer)
    {
        try
        {
            multiplexer.GetDatabase().ScriptEvaluate(RedisScripts.SeedEpoch, [EpochKey]);
        }
        catch (Exception ex) when (IsOutage(ex))
        {
            // Unreachable now: the recovery's new epoch comes from the clock too.
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

    /// <summary>
    /// Whether the server can be used (see <see cref="Unfit"/>), as last read; empty when it can, null before it was
    /// read. Reads nothing itself: when a read is due it starts one in the background.
    /// </summary>
    private string? CheckFit()
    {
        var fit = Volatile.Read(ref _fit);
        if (_multiplexer.IsValueCreated
            && (fit is null || _timeProvider.GetElapsedTime(Volatile.Read(ref _fitCheckedAt)) >= _seams.FitRecheckInterval)
            && Multiplexer.IsConnected)
        {
            _ = RefreshFitAsync();
        }

        return fit;
    }

    /// <summary>Reads the server's fit, or joins the read under way.</summary>
    private Task RefreshFitAsync()
    {
        lock (_fitLock)
        {
            if (_fitCheck is { IsCompleted: false } running)
            {
                return running;
            }

            Volatile.Write(ref _fitCheckedAt, _timeProvider.GetTimestamp());
            return _fitCheck = ReadFitAsync(Multiplexer);
        }
    }

    /// <summary>
    /// Reads whether the server can be used: the handshake tells a cluster and the version, a script the eviction
    /// policy. Leaves the last answer standing when the server cannot be reached.
    /// </summary>
    private async Task ReadFitAsync(ConnectionMultiplexer multiplexer)
    {
        try
        {
            var servers = multiplexer.GetServers().Where(s => s.IsConnected).ToList();
            if (servers.Count == 0)
            {
                return;
            }

            // A server whose INFO the client could not read (an ACL that forbids it) shows the client's assumed version:
            // unknown, so not held against it.
            var version = servers.Min(s => s.Version)!;
            if (version == _assumedVersion)
            {
                version = MinimumVersion;
            }

            var cluster = servers.Any(s => s.ServerType == ServerType.Cluster);
            var (read, policy) = await EvictionPolicyAsync(multiplexer).ConfigureAwait(false);
            if (!read && Volatile.Read(ref _fit) is not null)
            {
                // A timeout is no news: the verdict of the last read stands (a refused server is not let in by one).
                return;
            }

            Volatile.Write(ref _cluster, cluster);
            var fit = Unfit(cluster, version, Prefix, policy) ?? Fit;
            if (Interlocked.Exchange(ref _fit, fit) != fit && fit.Length > 0)
            {
                LogMisconfigured(_logger, fit);

                // Degraded now, not at the next read: whatever turns the verdict back, a recovery then drops what
                // was held while the server could not be trusted.
                ReportFailure(fit);
            }
        }
        catch (Exception ex) when (IsOutage(ex))
        {
            // Unreachable now: the next read (or recovery) tries again.
        }
    }

    /// <summary>
    /// The <c>maxmemory_policy</c> of the server that holds the prefix's keys, from <c>INFO memory</c> (through a
    /// script: the client keeps INFO itself for admin mode). Not read (an ACL that forbids the script, a timeout), the
    /// policy is unknown, which is not held against a server the first time.
    /// </summary>
    private async Task<(bool Read, string? Policy)> EvictionPolicyAsync(ConnectionMultiplexer multiplexer)
    {
        try
        {
            var info = (string?)await multiplexer.GetDatabase().ScriptEvaluateAsync(RedisScripts.MemoryInfo, [EpochKey]).ConfigureAwait(false);
            const string Field = "maxmemory_policy:";
            var line = info?.Split('\n').FirstOrDefault(l => l.StartsWith(Field, StringComparison.Ordinal));
            return (true, line?[Field.Length..].Trim());
        }
        catch (Exception ex) when (IsOutage(ex))
        {
            return (false, null);
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

    [LoggerMessage(EventId = 40, Level = LogLevel.Warning, Message = "Redis unavailable, reading from the database: {Reason}")]
    private static partial void LogDegraded(ILogger logger, string reason);

    [LoggerMessage(EventId = 41, Level = LogLevel.Information, Message = "Redis answers again; caching resumed")]
    private static partial void LogRecovered(ILogger logger);

    [LoggerMessage(EventId = 42, Level = LogLevel.Error, Message = "Redis is not used, reading from the database: {Reason}")]
    private static partial void LogMisconfigured(ILogger logger, string reason);
}
