using System.Globalization;
using Microsoft.Extensions.Logging;
using Qset.Caching.Redis;
using StackExchange.Redis;

namespace Qset.Caching.Feed;

/// <summary>
/// One database followed for every node that shares a Redis store (the Redis and Hybrid backends): the node holding the
/// database's lease in Redis runs its feed, whose invalidations reach the other nodes as its own writes do (through the
/// shared store and, on Hybrid, the invalidation channel), so that an outside write reaches each node once. It renews
/// the lease and writes its feed's state and position every <see cref="Turn"/>; the other nodes take that state as
/// their own (blind while none is fresh) and, when the lease lapses, one of them takes over: from the last position
/// where the feed can resume (SQLite's change log), otherwise dropping what the cluster holds (a new PostgreSQL slot
/// cannot see what was committed before it).
/// </summary>
internal sealed partial class ClusterFeed(
    WatchedDatabase database,
    Func<FeedStart, IChangeFeed> open,
    RedisConnection redis,
    FeedBoard board,
    QsetCache cache,
    CacheRecorder recorder,
    CacheOptions options,
    TimeProvider time,
    ILogger logger) : IAsyncDisposable
{
    /// <summary>How often each node takes its turn: the follower renews and reports, the others read its report.</summary>
    public static readonly TimeSpan Turn = TimeSpan.FromMilliseconds(250);

    /// <summary>How long a lease lasts unrenewed: after that, another node takes over.</summary>
    public static readonly TimeSpan LeaseFor = TimeSpan.FromSeconds(3);

    /// <summary>How long a report is believed: a follower silent for longer makes the other nodes blind.</summary>
    public static readonly TimeSpan ReportFor = TimeSpan.FromMilliseconds(1500);

    private readonly FeedCondition _standby = new(database.Name, board, cache, recorder, time, logger);
    private readonly CancellationTokenSource _stop = new();
    private readonly SemaphoreSlim _turn = new(1, 1);
    private IChangeFeed? _feed;
    private Task? _loop;
    private int _disposed;

    /// <summary>The feed this node runs while it follows the database for the cluster; null while another node does.</summary>
    public IChangeFeed? Following => Volatile.Read(ref _feed);

    private bool Resumable => database.ProviderName != DatabaseWatch.PostgresProvider;

    /// <summary>Takes the first turn (following, or learning who follows), then goes on in the background.</summary>
    public async Task StartAsync(CancellationToken cancellationToken)
    {
        _standby.Starting($"learning which node follows {database.Name} for the cluster");
        await TurnAsync().ConfigureAwait(false);
        _loop = Task.Run(LoopAsync, CancellationToken.None);
    }

    private async Task LoopAsync()
    {
        while (!_stop.IsCancellationRequested)
        {
            try
            {
                await Task.Delay(Turn, time, _stop.Token).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                return;
            }

            await TurnAsync().ConfigureAwait(false);
        }
    }

    /// <summary>One turn: take, renew or read the lease, and act on what it says. Never throws.</summary>
    private async Task TurnAsync()
    {
        await _turn.WaitAsync(CancellationToken.None).ConfigureAwait(false);
        try
        {
            if (_stop.IsCancellationRequested)
            {
                return;
            }

            if (redis.InvalidationDatabase is not { } db)
            {
                Unreachable("Redis is not connected");
                return;
            }

            var feed = _feed;
            var reply = await LeaseTurnAsync(db, feed).ConfigureAwait(false);
            switch ((int)reply[0])
            {
                case 1 when feed is null:
                    await LeadAsync(reply[1].IsNull ? null : long.Parse((string)reply[1]!, CultureInfo.InvariantCulture)).ConfigureAwait(false);

                    // Reported at once: the other nodes are blind until the first report.
                    await LeaseTurnAsync(db, _feed).ConfigureAwait(false);
                    break;
                case 0:
                    var holder = (string)reply[1]!;
                    if (feed is not null)
                    {
                        await StepDownAsync(holder).ConfigureAwait(false);
                    }

                    if (Decode(reply[2]) is { } leader)
                    {
                        _standby.FollowedBy(holder, leader);
                    }
                    else
                    {
                        _standby.Blind($"node {holder} holds the lease to follow {database.Name} for the cluster but has not reported for {ReportFor.TotalSeconds:0.#} s");
                    }

                    break;
            }
        }
        catch (OperationCanceledException) when (_stop.IsCancellationRequested)
        {
        }
#pragma warning disable CA1031 // A turn that fails leaves a follower following and makes a standby blind; the next turn tries again.
        catch (Exception ex)
#pragma warning restore CA1031
        {
            Unreachable(ex.Message);
        }
        finally
        {
            _turn.Release();
        }
    }

    /// <summary>Takes, renews or reads the lease; a follower writes its report and position with the renewal.</summary>
    private async Task<RedisResult[]> LeaseTurnAsync(IDatabase db, IChangeFeed? feed)
    {
        var report = feed is not null && board.StatusOf(database.Name) is { } status ? Encode(status) : string.Empty;
        var position = feed is null ? string.Empty : PositionOf(feed);
        return (RedisResult[])(await db.ScriptEvaluateAsync(
            RedisScripts.FeedLease,
            [redis.FeedLeaseKey(database.Name), redis.FeedReportKey(database.Name), redis.FeedPositionKey(database.Name)],
            [redis.NodeId, (long)LeaseFor.TotalMilliseconds, report, (long)ReportFor.TotalMilliseconds, position, (long)options.ChangeLogRetention.TotalMilliseconds])
            .ConfigureAwait(false))!;
    }

    // A follower keeps following while Redis is away (its invalidations are what keeps the cluster true); a node that
    // cannot learn whether anyone follows cannot trust what it holds.
    private void Unreachable(string reason)
    {
        if (_feed is null)
        {
            _standby.Blind($"cannot learn from Redis which node follows {database.Name} for the cluster ({reason})");
        }
    }

    /// <summary>This node took the lease: it starts the feed, from the last follower's position when it can.</summary>
    private async Task LeadAsync(long? lastPosition)
    {
        var start = !Resumable
            ? new FeedStart(null, $"node {redis.NodeId} follows {database.Name} for the cluster from a new replication slot: what was committed before it opened is unknown")
            : lastPosition is { } position
                ? new FeedStart(position, null)
                : new FeedStart(null,
                    $"no follower's position in {database.Name}'s change log is on record in Redis (the cluster's first start, or its last follower stopped more than {options.ChangeLogRetention} ago): what the shared store holds may predate changes no node saw");
        TakingOver(logger, redis.NodeId, database.Name, lastPosition is { } p && Resumable ? $"from change #{p}" : "dropping what the cluster holds once it has its starting point");
        var feed = open(start);
        _feed = feed;
        await feed.StartAsync(_stop.Token).ConfigureAwait(false);
    }

    private async Task StepDownAsync(string holder)
    {
        var feed = _feed;
        _feed = null;
        if (feed is not null)
        {
            SteppedDown(logger, redis.NodeId, database.Name, holder);
            await feed.DisposeAsync().ConfigureAwait(false);
        }
    }

    /// <summary>Where the next follower may resume <paramref name="feed"/>, as Redis keeps it; empty where it cannot (a new PostgreSQL slot).</summary>
    private string PositionOf(IChangeFeed feed) =>
        Resumable && feed.Position >= 0 ? feed.Position.ToString(CultureInfo.InvariantCulture) : string.Empty;

    /// <summary>A follower's report, as one Redis string: state, lag, last change (Unix ms), changes, then the reason.</summary>
    private static string Encode(DatabaseFeedStatus status) => string.Join('|',
        status.State.ToString(),
        status.LagMs?.ToString("R", CultureInfo.InvariantCulture) ?? string.Empty,
        status.LastChangeAt?.ToUnixTimeMilliseconds().ToString(CultureInfo.InvariantCulture) ?? string.Empty,
        status.Changes.ToString(CultureInfo.InvariantCulture),
        status.Reason ?? string.Empty);

    private static DatabaseFeedStatus? Decode(RedisResult result)
    {
        if (result.IsNull || ((string?)result)?.Split('|', 5) is not { Length: 5 } parts || !Enum.TryParse<DatabaseFeedState>(parts[0], out var state))
        {
            return null;
        }

        return new DatabaseFeedStatus(
            state,
            parts[1].Length == 0 ? null : double.Parse(parts[1], CultureInfo.InvariantCulture),
            parts[2].Length == 0 ? null : DateTimeOffset.FromUnixTimeMilliseconds(long.Parse(parts[2], CultureInfo.InvariantCulture)),
            parts[4])
        {
            Changes = long.Parse(parts[3], CultureInfo.InvariantCulture),
        };
    }

    /// <inheritdoc />
    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }

        await _stop.CancelAsync().ConfigureAwait(false);
        if (_loop is not null)
        {
            await _loop.ConfigureAwait(false);
        }

        IChangeFeed? feed;
        await _turn.WaitAsync(CancellationToken.None).ConfigureAwait(false);
        try
        {
            feed = _feed;
            _feed = null;
        }
        finally
        {
            _turn.Release();
        }

        if (feed is null)
        {
            return;
        }

        await feed.DisposeAsync().ConfigureAwait(false);
        try
        {
            // Handed on at once: the next node takes over on its next turn rather than when the lease lapses.
            if (redis.InvalidationDatabase is { } db)
            {
                await db.ScriptEvaluateAsync(
                    RedisScripts.FeedRelease,
                    [redis.FeedLeaseKey(database.Name), redis.FeedReportKey(database.Name), redis.FeedPositionKey(database.Name)],
                    [redis.NodeId, PositionOf(feed), (long)options.ChangeLogRetention.TotalMilliseconds]).ConfigureAwait(false);
            }
        }
#pragma warning disable CA1031 // A lease not handed on lapses by itself.
        catch (Exception)
#pragma warning restore CA1031
        {
        }
    }

    [LoggerMessage(EventId = 73, Level = LogLevel.Information, Message = "Node {Node} now follows {Database} for the cluster, {From}")]
    private static partial void TakingOver(ILogger logger, string node, string database, string from);

    [LoggerMessage(EventId = 74, Level = LogLevel.Warning, Message = "Node {Node} no longer follows {Database}: node {Holder} holds the lease (this node's lapsed)")]
    private static partial void SteppedDown(ILogger logger, string node, string database, string holder);
}
