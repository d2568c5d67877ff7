using Microsoft.Extensions.Logging;
using Qset.Caching.Interceptors;

namespace Qset.Caching.Feed;

/// <summary>
/// Where one database's feed stands, whatever the database: its state and why, the changes it applied and its lag, told
/// to the <see cref="FeedBoard"/> (which the read path and the health check read), the log and the journal on each
/// change of state. Every feed goes through it, so that they all go blind, recover and drop what is held alike.
/// </summary>
internal sealed partial class FeedCondition(string database, FeedBoard board, QsetCache cache, CacheRecorder recorder, TimeProvider time, ILogger logger)
{
    private long _changes;
    private double? _lagMs;
    private DateTimeOffset? _lastChangeAt;
    private string? _reason = "connecting";

    /// <summary>Where the feed stands.</summary>
    public DatabaseFeedState State { get; private set; } = DatabaseFeedState.Starting;

    /// <summary>Tells the board the feed is starting: reads go to the database until it is live.</summary>
    public void Starting(string reason)
    {
        State = DatabaseFeedState.Starting;
        _reason = reason;
        Report();
    }

    /// <summary>The feed follows the database again (or for the first time); after a blind spell, says so.</summary>
    public void Live(string reason)
    {
        if (State == DatabaseFeedState.Live)
        {
            return;
        }

        var was = State;
        State = DatabaseFeedState.Live;
        _reason = reason;
        Report();
        if (was == DatabaseFeedState.Blind)
        {
            Recovered(logger, database);
            recorder.Record(CacheEventKind.Recovered, "*", null, detail: $"the change feed of {database} is back and caught up: reads are served from the cache again",
                source: WriteInvalidator.DatabaseSource);
        }
    }

    /// <summary>The feed cannot follow: reads go to the database; a new reason is logged and recorded once.</summary>
    public void Blind(string reason)
    {
        var changed = State != DatabaseFeedState.Blind || _reason != reason;
        State = DatabaseFeedState.Blind;
        _reason = reason;
        Report();
        if (changed)
        {
            BlindLog(logger, database, reason);
            recorder.Record(CacheEventKind.Degraded, "*", null, detail: $"{reason}: reads go to the database, none is served from the cache",
                source: WriteInvalidator.DatabaseSource);
        }
    }

    /// <summary>
    /// Another node follows the database for this one (<see cref="ClusterFeed"/>): its <paramref name="report"/> becomes
    /// this node's state, live when it is live, blind when it is not.
    /// </summary>
    public void FollowedBy(string node, DatabaseFeedStatus report)
    {
        _lagMs = report.LagMs;
        _lastChangeAt = report.LastChangeAt;
        Interlocked.Exchange(ref _changes, report.Changes);
        if (report.State == DatabaseFeedState.Live)
        {
            // Live once (after a blind spell, with its RECOVERED); every turn, the follower's reason, lag and last change.
            var reason = $"followed for the cluster by node {node}: {report.Reason}";
            Live(reason);
            _reason = reason;
            Report();
        }
        else
        {
            Blind($"node {node}, which follows {database} for the cluster, reports it {report.State.ToString().ToLowerInvariant()} ({report.Reason})");
        }
    }

    /// <summary>Counts <paramref name="changes"/>, applied, and the lag of the last.</summary>
    public void Applied(IReadOnlyList<FeedChange> changes)
    {
        if (changes.Count == 0)
        {
            return;
        }

        var last = changes[^1];
        Interlocked.Add(ref _changes, changes.Count);
        _lastChangeAt = last.CommittedAt;
        _lagMs = Math.Max(0, (time.GetUtcNow() - last.CommittedAt).TotalMilliseconds);
        Report();
    }

    /// <summary>The feed may have missed changes: the node drops everything it holds, with one event that says why.</summary>
    public async Task DropEverythingAsync(string reason, FeedEchoes echoes)
    {
        echoes.Clear();
        Gap(logger, database, reason);
        using (CacheContext.Use(WriteInvalidator.DatabaseSource))
        {
            recorder.Record(CacheEventKind.Degraded, "*", null, detail: $"{reason}: this node drops what it holds");
            await cache.FlushAsync(reason).ConfigureAwait(false);
        }
    }

    private void Report() => board.Report(database, new DatabaseFeedStatus(State, _lagMs, _lastChangeAt, _reason) { Changes = Interlocked.Read(ref _changes) });

    [LoggerMessage(EventId = 62, Level = LogLevel.Error, Message = "The change feed of {Database} is down, reads go to the database until it is back: {Reason}")]
    private static partial void BlindLog(ILogger logger, string database, string reason);

    [LoggerMessage(EventId = 63, Level = LogLevel.Information, Message = "The change feed of {Database} is back and caught up")]
    private static partial void Recovered(ILogger logger, string database);

    [LoggerMessage(EventId = 65, Level = LogLevel.Warning, Message = "The change feed of {Database} may have missed changes, so this node drops what it holds: {Reason}")]
    private static partial void Gap(ILogger logger, string database, string reason);
}
