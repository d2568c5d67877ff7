using System.Collections.Concurrent;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using StackExchange.Redis;

namespace QsetDashboard.Caching.Redis;

/// <summary>
/// The app's one Redis connection, and its health as the cache sees it. Commands fail fast while Redis is down
/// (no backlog), so a read goes to the database at once. An invalidation that could not reach Redis is kept (bounded)
/// and replayed when the connection comes back; past the bound, every entry under the prefix is dropped instead.
/// </summary>
public sealed partial class RedisConnection : IDisposable
{
    private const int MaxDeferredInvalidations = 10_000;

    private readonly CacheOptions _options;
    private readonly CacheRecorder _recorder;
    private readonly ILogger<RedisConnection> _logger;
    private readonly ConcurrentDictionary<string, byte> _deferred = new(StringComparer.Ordinal);
    private readonly Lazy<ConnectionMultiplexer> _multiplexer;
    private int _degraded;
    private int _deferredOverflow;
    private int _recovering;

    /// <summary>Creates the connection; it connects on first use and keeps reconnecting by itself.</summary>
    public RedisConnection(IOptions<CacheOptions> options, CacheRecorder recorder, ILogger<RedisConnection> logger)
    {
        _options = options.Value;
        _recorder = recorder;
        _logger = logger;
        Prefix = _options.RedisPrefix;
        _multiplexer = new Lazy<ConnectionMultiplexer>(Connect, LazyThreadSafetyMode.ExecutionAndPublication);
    }

    /// <summary>Raised after the connection comes back and deferred invalidations were replayed.</summary>
    public event EventHandler? Restored;

    /// <summary>The prefix of every key and channel.</summary>
    public string Prefix { get; }

    /// <summary>This node's id.</summary>
    public string NodeId => _options.NodeId;

    /// <summary>True while Redis is not answering.</summary>
    public bool IsDegraded => Volatile.Read(ref _degraded) == 1 || !Multiplexer.IsConnected;

    /// <summary>The multiplexer.</summary>
    public ConnectionMultiplexer Multiplexer => _multiplexer.Value;

    /// <summary>The database, or null while Redis is down (the caller then falls back to the database).</summary>
    public IDatabase? Database
    {
        get
        {
            if (Multiplexer.IsConnected)
            {
                if (Volatile.Read(ref _degraded) == 1)
                {
                    // Connected but still marked down (a first connection made after a failed start raises no
                    // restore event): recover here, once.
                    _ = RecoverAsync();
                }

                return Multiplexer.GetDatabase();
            }

            ReportFailure("not connected");
            return null;
        }
    }

    /// <summary>The pub/sub subscriber.</summary>
    public ISubscriber Subscriber => Multiplexer.GetSubscriber();

    /// <summary>The entry key of a cache key.</summary>
    public RedisKey EntryKey(string key) => $"{Prefix}e:{key}";

    /// <summary>The generation key of a cache key: bumped by every invalidation, checked by every populate.</summary>
    public RedisKey GenerationKey(string key) => $"{Prefix}g:{key}";

    /// <summary>The flush epoch: bumped by every flush, checked by every populate.</summary>
    public RedisKey EpochKey => $"{Prefix}epoch";

    /// <summary>The bulk-write generation key of a table.</summary>
    public RedisKey TableKey(string table) => $"{Prefix}t:{table}";

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
    public void DeferAll() => Volatile.Write(ref _deferredOverflow, 1);

    /// <summary>The cache key of an entry key, or null when it is not one of ours.</summary>
    public string? CacheKeyOf(string redisKey) =>
        redisKey.StartsWith($"{Prefix}e:", StringComparison.Ordinal) ? redisKey[(Prefix.Length + 2)..] : null;

    /// <summary>True when <paramref name="exception"/> means Redis is unreachable or slow, which the cache survives.</summary>
    public static bool IsOutage(Exception exception) =>
        exception is RedisException or TimeoutException or ObjectDisposedException;

    /// <summary>Records that Redis failed a command; the first failure of an outage raises DEGRADED.</summary>
    public void ReportFailure(Exception exception)
    {
        ArgumentNullException.ThrowIfNull(exception);
        ReportFailure($"{exception.GetType().Name}: {exception.Message}");
    }

    /// <summary>Records that Redis is unreachable, for <paramref name="reason"/>.</summary>
    public void ReportFailure(string reason)
    {
        if (Interlocked.Exchange(ref _degraded, 1) == 0)
        {
            LogDegraded(_logger, reason);
            _recorder.Record(CacheEventKind.Degraded, "*", null, detail: $"Redis unavailable ({reason}); reading from the database", source: "redis");
        }
    }

    /// <summary>Keeps an invalidation that could not reach Redis, to replay on reconnect.</summary>
    public void Defer(string key)
    {
        if (_deferred.Count < MaxDeferredInvalidations)
        {
            _deferred.TryAdd(key, 0);
        }
        else
        {
            Volatile.Write(ref _deferredOverflow, 1);
        }
    }

    /// <summary>Runs the invalidation script: bump the key's generation, drop its entry. True when an entry was dropped.</summary>
    public async Task<bool> InvalidateAsync(IDatabase database, string key)
    {
        ArgumentNullException.ThrowIfNull(database);
        var generationTtl = Math.Max(TimeSpan.FromHours(1).TotalMilliseconds, 2 * _options.DefaultTtl.TotalMilliseconds);
        var deleted = await database.ScriptEvaluateAsync(
            RedisScripts.Invalidate,
            [EntryKey(key), GenerationKey(key)],
            [(long)generationTtl]).ConfigureAwait(false);
        return (long)deleted > 0;
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

            await foreach (var key in server.KeysAsync(pattern: $"{Prefix}e:*", pageSize: 500).ConfigureAwait(false))
            {
                keys.Add(key);
            }
        }

        return keys;
    }

    /// <inheritdoc />
    public void Dispose()
    {
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
        var multiplexer = ConnectionMultiplexer.Connect(configuration);
        multiplexer.ConnectionFailed += (_, e) =>
        {
            if (e.ConnectionType == ConnectionType.Interactive)
            {
                ReportFailure(e.Exception?.Message is { } message ? $"{e.FailureType}: {message}" : e.FailureType.ToString());
            }
        };
        multiplexer.ConnectionRestored += (_, e) =>
        {
            if (e.ConnectionType == ConnectionType.Interactive)
            {
                _ = RecoverAsync();
            }
        };
        if (!multiplexer.IsConnected)
        {
            ReportFailure($"cannot reach {_options.Redis}");
        }

        return multiplexer;
    }

    private async Task RecoverAsync()
    {
        if (Interlocked.Exchange(ref _recovering, 1) == 1)
        {
            return;
        }

        try
        {
            var database = Multiplexer.GetDatabase();
            if (Interlocked.Exchange(ref _deferredOverflow, 0) == 1)
            {
                foreach (var entryKey in await ScanEntryKeysAsync().ConfigureAwait(false))
                {
                    await InvalidateAsync(database, CacheKeyOf(entryKey!)!).ConfigureAwait(false);
                }

                _deferred.Clear();
            }

            foreach (var key in _deferred.Keys)
            {
                await InvalidateAsync(database, key).ConfigureAwait(false);
                _deferred.TryRemove(key, out _);
            }

            Interlocked.Exchange(ref _degraded, 0);
            LogRecovered(_logger);
            _recorder.Record(CacheEventKind.Recovered, "*", null, detail: "Redis answers again; missed invalidations replayed", source: "redis");
            Restored?.Invoke(this, EventArgs.Empty);
        }
#pragma warning disable CA1031 // A failed recovery is an outage still going on; the next reconnect retries.
        catch (Exception ex)
#pragma warning restore CA1031
        {
            ReportFailure(ex);
        }
        finally
        {
            Interlocked.Exchange(ref _recovering, 0);
        }
    }

    [LoggerMessage(EventId = 40, Level = LogLevel.Warning, Message = "Redis unavailable, reading from the database: {Reason}")]
    private static partial void LogDegraded(ILogger logger, string reason);

    [LoggerMessage(EventId = 41, Level = LogLevel.Information, Message = "Redis answers again; caching resumed")]
    private static partial void LogRecovered(ILogger logger);
}
