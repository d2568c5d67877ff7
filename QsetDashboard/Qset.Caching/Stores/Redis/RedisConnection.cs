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

    /// <summary>True when <paramref name="exception"/> means Redis is unreachable or slow, which the cache survives.</summary>
    /// <remarks>
    /// A command the client itself refuses (<see cref="RedisCommandException"/>: keys in different cluster slots, a
    /// command the server does not allow) counts too: the read goes to the database instead of failing its caller.
    /// </remarks>
    public static bool IsOutage(Exception exception) =>
        exception is RedisException or RedisCommandException or TimeoutException or ObjectDisposedException;

    /// <summary>True once the connection is disposed (the host is stopping): background work ends.</summary>
    internal bool Disposed => _disposed.IsCancellationRequested;

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

    [LoggerMessage(EventId = 40, Level = LogLevel.Warning, Message = "Redis unavailable, reading from the database: {Reason}")]
    private static partial void LogDegraded(ILogger logger, string reason);

    [LoggerMessage(EventId = 41, Level = LogLevel.Information, Message = "Redis answers again; caching resumed")]
    private static partial void LogRecovered(ILogger logger);

    [LoggerMessage(EventId = 42, Level = LogLevel.Error, Message = "Redis is not used, reading from the database: {Reason}")]
    private static partial void LogMisconfigured(ILogger logger, string reason);
}
