using System.Collections.Concurrent;

namespace Qset.Caching.Feed;

/// <summary>
/// The state of each database feed of this node, and the one flag the read path checks: while any watched database
/// is not live, no read is served from the cache (an unseen write could have replaced its value).
/// </summary>
internal sealed class FeedBoard
{
    private readonly ConcurrentDictionary<string, DatabaseFeedStatus> _databases = new(StringComparer.Ordinal);
    private readonly SemaphoreSlim _applyGate = new(1, 1);
    private volatile IChangeFeed[] _feeds = [];
    private volatile string? _blindReason;

    /// <summary>True while some watched database's feed is not live: reads go to the database.</summary>
    public bool Blind => _blindReason is not null;

    /// <summary>Why reads go to the database now; null while every feed is live.</summary>
    public string? BlindReason => _blindReason;

    /// <summary>The status of the node's feeds: the worst of its databases, <see cref="DatabaseFeedStatus.Off"/> with none.</summary>
    public DatabaseFeedStatus Status
    {
        get
        {
            var databases = _databases.Values.ToList();
            return databases.Count == 0
                ? DatabaseFeedStatus.Off
                : databases.MaxBy(d => Rank(d.State))! with { Changes = databases.Sum(d => d.Changes) };
        }
    }

    /// <summary>The status last reported for <paramref name="database"/>; null before any.</summary>
    public DatabaseFeedStatus? StatusOf(string database) => _databases.GetValueOrDefault(database);

    /// <summary>Records the status of the feed of <paramref name="database"/>, and whether reads must go to the database.</summary>
    public void Report(string database, DatabaseFeedStatus status)
    {
        _databases[database] = status;
        _blindReason = _databases
            .Where(d => d.Value.State is DatabaseFeedState.Starting or DatabaseFeedState.Blind)
            .Select(d => $"the change feed of {d.Key} is {d.Value.State.ToString().ToLowerInvariant()} ({d.Value.Reason})")
            .FirstOrDefault();
    }

    /// <summary>The feeds that follow a database, for this node's own writes to be told to.</summary>
    public IReadOnlyList<IChangeFeed> Feeds => _feeds;

    /// <summary>Adds a feed that follows a database.</summary>
    public void Add(IChangeFeed feed)
    {
        lock (_databases)
        {
            _feeds = [.. _feeds, feed];
        }
    }

    /// <summary>Removes a feed that stopped.</summary>
    public void Remove(IChangeFeed feed)
    {
        lock (_databases)
        {
            _feeds = [.. _feeds.Where(f => !ReferenceEquals(f, feed))];
        }
    }

    /// <summary>
    /// Before this node applies its own committed <paramref name="writes"/>: the head of each feed that follows one of
    /// their tables, read now, so that the feed can tell those writes when it sees them again. Never throws: a feed that
    /// cannot answer is left out (it will apply the writes a second time, which is harmless).
    /// </summary>
    public async ValueTask<OwnWrites?> BeforeOwnWritesAsync(IReadOnlyList<Interceptors.TableWrite> writes)
    {
        var feeds = _feeds;
        if (feeds.Length == 0)
        {
            return null;
        }

        Interlocked.Increment(ref _ownWritesApplying);
        await _applyGate.WaitAsync().ConfigureAwait(false);
        try
        {
            List<(IChangeFeed Feed, long Head)>? heads = null;
            foreach (var feed in feeds)
            {
                if (!writes.Any(w => feed.Follows(w.Table)))
                {
                    continue;
                }

                if (await feed.TryReadHeadAsync().ConfigureAwait(false) is { } head)
                {
                    (heads ??= []).Add((feed, head));
                }
            }

            var own = new OwnWrites(this, heads ?? [], writes);

            // Told before they are applied: a feed's batch applied after this skips them rather than race this node to them.
            own.Record();
            return own;
        }
        finally
        {
            _applyGate.Release();
        }
    }

    private int _ownWritesApplying;

    /// <summary>
    /// The longest a feed's batch waits for this node's own writes: under a steady stream of them there is always one under
    /// way, and the wait only spares a second invalidation, which is harmless; the feed's lag must stay short.
    /// </summary>
    public static readonly TimeSpan OwnWriteWait = TimeSpan.FromMilliseconds(10);

    /// <summary>True while this node is applying writes of its own (a feed waits for them before it applies a batch).</summary>
    public bool OwnWritesApplying => Volatile.Read(ref _ownWritesApplying) > 0;

    /// <summary>
    /// Runs a feed's <paramref name="apply"/> of a batch apart from this node's own writes: never between one's head read
    /// and its record (a change applied then would stamp a key the node's next read of it is already loading), and,
    /// waiting a millisecond at a time for at most <see cref="OwnWriteWait"/>, not while one is applying (whose change the batch may hold:
    /// once recorded, it is skipped rather than applied twice).
    /// </summary>
    public async Task ApplyApartAsync(Func<Task> apply, TimeProvider time, CancellationToken cancellationToken)
    {
        for (var waited = 0; ; waited++)
        {
            await _applyGate.WaitAsync(cancellationToken).ConfigureAwait(false);
            if (OwnWritesApplying && waited < OwnWriteWait.TotalMilliseconds)
            {
                _applyGate.Release();
                await Task.Delay(TimeSpan.FromMilliseconds(1), time, cancellationToken).ConfigureAwait(false);
                continue;
            }

            try
            {
                await apply().ConfigureAwait(false);
                return;
            }
            finally
            {
                _applyGate.Release();
            }
        }
    }

    /// <summary>Marks a write of this node's own as under way (from before its commit), so that feeds wait for it.</summary>
    internal void OwnWriteBegins() => Interlocked.Increment(ref _ownWritesApplying);

    /// <summary>True when some feed follows a database (so that own writes are worth marking).</summary>
    public bool Following => _feeds.Length > 0;

    /// <summary>Marks this node's own writes applied (or a write under way ended).</summary>
    internal void OwnWritesApplied() => Interlocked.Decrement(ref _ownWritesApplying);

    private static int Rank(DatabaseFeedState state) => state switch
    {
        DatabaseFeedState.Blind => 4,
        DatabaseFeedState.Starting => 3,
        DatabaseFeedState.Unsupported => 2,
        DatabaseFeedState.Live => 1,
        _ => 0,
    };
}

/// <summary>Where a feed starts: from a position another node reached, or with the node's store dropped (and why).</summary>
/// <param name="ResumeFrom">The position to read on from (a change-log sequence); null for the database's head now.</param>
/// <param name="DropReason">When set, what is held is dropped once the feed has its starting point, with this reason.</param>
internal sealed record FeedStart(long? ResumeFrom, string? DropReason)
{
    /// <summary>From the head, nothing dropped: a node whose store starts empty.</summary>
    public static FeedStart Fresh { get; } = new(null, null);
}

/// <summary>A feed of one database, as the rest of the engine sees it.</summary>
internal interface IChangeFeed : IAsyncDisposable
{
    /// <summary>Starts following; returns once the first attempt is over (live, or blind and retrying).</summary>
    Task StartAsync(CancellationToken cancellationToken);

    /// <summary>The position of the last change applied (a change-log sequence, a commit LSN).</summary>
    long Position { get; }

    /// <summary>True when the feed follows the table of entity type <paramref name="entityName"/>.</summary>
    bool Follows(string entityName);

    /// <summary>The position of the last change committed to the database now; null when it cannot be read.</summary>
    ValueTask<long?> TryReadHeadAsync();

    /// <summary>This node's own writes, to be recognized when the feed sees them.</summary>
    FeedEchoes Echoes { get; }
}

/// <summary>This node's own writes with the feed heads read before they were applied.</summary>
internal sealed class OwnWrites(FeedBoard board, IReadOnlyList<(IChangeFeed Feed, long Head)> heads, IReadOnlyList<Interceptors.TableWrite> writes)
{
    private int _applied;

    /// <summary>Tells each feed of the writes: it skips them when it sees them.</summary>
    public void Record()
    {
        foreach (var (feed, head) in heads)
        {
            foreach (var write in writes)
            {
                if (!feed.Follows(write.Table))
                {
                    continue;
                }

                if (write.Bulk)
                {
                    feed.Echoes.RecordTable(write.Table, head);
                }
                else if ((write.RowKey ?? write.Key) is { } key)
                {
                    feed.Echoes.RecordKey(key, head);
                }
            }
        }
    }

    /// <summary>The writes are applied: feeds waiting for them go on.</summary>
    public void Applied()
    {
        if (Interlocked.Exchange(ref _applied, 1) == 0)
        {
            board.OwnWritesApplied();
        }
    }
}
