using System.Globalization;
using Microsoft.Extensions.Logging;
using Npgsql;
using Npgsql.Replication;
using Npgsql.Replication.PgOutput;
using Npgsql.Replication.PgOutput.Messages;
using NpgsqlTypes;

namespace Qset.Caching.Feed;

/// <summary>
/// Follows one PostgreSQL database through logical replication: a publication over the cached tables
/// (<see cref="Publication"/>, made or extended at start), and a temporary <c>pgoutput</c> slot of this node's own, which
/// the server drops when the node's connection ends, however it ends: no slot is left retaining WAL after a crash.
/// Changes arrive per committed transaction, in commit order, each row by its key columns, positioned by the
/// transaction's commit LSN. A stream that breaks cannot resume (its temporary slot went with it): the node drops
/// what it holds and follows a new slot.
/// </summary>
internal sealed partial class PostgresChangeFeed(
    WatchedDatabase database, FeedStart start, FeedApplier applier, FeedBoard board, QsetCache cache, CacheRecorder recorder, TimeProvider time, ILogger<PostgresChangeFeed> logger)
    : IChangeFeed, IAsyncDisposable
{
    /// <summary>The publication every node of every app on the database shares; it is only ever extended.</summary>
    public const string Publication = "qset_feed";

    private readonly CancellationTokenSource _stop = new();
    private readonly FeedCondition _condition = new(database.Name, board, cache, recorder, time, logger);
    private readonly TaskCompletionSource _firstTurn = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly string _slot = $"qset_{Guid.NewGuid():N}"[..30];
    private Task? _loop;
    private bool _followedBefore;
    private long _position;
    private int _disposed;

    /// <inheritdoc />
    public FeedEchoes Echoes { get; } = new();

    /// <summary>The commit LSN of the last transaction applied.</summary>
    public long Position => Volatile.Read(ref _position);

    /// <summary>The name of this node's replication slot (temporary: it lives as long as the node's stream).</summary>
    internal string SlotName => _slot;

    /// <inheritdoc />
    public bool Follows(string entityName) => database.Follows(entityName);

    /// <summary>Starts following; returns once the stream is open (or the first attempt failed and the node is blind).</summary>
    public async Task StartAsync(CancellationToken cancellationToken)
    {
        _condition.Starting("opening a logical replication stream");
        board.Add(this);
        _loop = Task.Run(LoopAsync, CancellationToken.None);
        await _firstTurn.Task.WaitAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <inheritdoc />
    public async ValueTask<long?> TryReadHeadAsync()
    {
        if (_condition.State != DatabaseFeedState.Live)
        {
            return null;
        }

        try
        {
            await using var connection = new NpgsqlConnection(database.ConnectionString);
            await connection.OpenAsync(_stop.Token).ConfigureAwait(false);
            await using var command = new NpgsqlCommand("SELECT pg_current_wal_insert_lsn()", connection);
            return ToPosition((NpgsqlLogSequenceNumber)(await command.ExecuteScalarAsync(_stop.Token).ConfigureAwait(false))!);
        }
#pragma warning disable CA1031 // The head is a hint for the node's own writes: without it they are applied twice, harmlessly.
        catch (Exception)
#pragma warning restore CA1031
        {
            return null;
        }
    }

    private async Task LoopAsync()
    {
        while (!_stop.IsCancellationRequested)
        {
            try
            {
                await PublishAsync().ConfigureAwait(false);
                await FollowAsync().ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (_stop.IsCancellationRequested)
            {
                break;
            }
#pragma warning disable CA1031 // Any failure makes the node blind (reads go to the database) until a new stream is open.
            catch (Exception ex)
#pragma warning restore CA1031
            {
                _condition.Blind(Explain(ex));
            }

            _firstTurn.TrySetResult();
            try
            {
                await Task.Delay(TimeSpan.FromSeconds(1), time, _stop.Token).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                break;
            }
        }

        _firstTurn.TrySetResult();
    }

    /// <summary>Makes the publication, or adds to it the cached tables it lacks; other tables in it are left as they are.</summary>
    private async Task PublishAsync()
    {
        await using var connection = new NpgsqlConnection(database.ConnectionString);
        await connection.OpenAsync(_stop.Token).ConfigureAwait(false);
        var tables = database.Tables.Where(t => t.KeyColumns.Count > 0).ToList();
        foreach (var unkeyed in database.Tables.Except(tables))
        {
            NotPublished(logger, unkeyed.DisplayName);
        }

        List<string> missing = [];
        foreach (var table in tables)
        {
            await using var exists = new NpgsqlCommand("SELECT to_regclass($1) IS NOT NULL", connection) { Parameters = { new() { Value = Qualified(table) } } };
            if (!(bool)(await exists.ExecuteScalarAsync(_stop.Token).ConfigureAwait(false))!)
            {
                throw new FeedNotReadyException($"table {table.DisplayName} does not exist in {database.Name} yet (apply the migrations): reads go to the database until it does");
            }

            await using var published = new NpgsqlCommand(
                "SELECT EXISTS (SELECT 1 FROM pg_publication_rel r JOIN pg_publication p ON p.oid = r.prpubid WHERE p.pubname = $1 AND r.prrelid = to_regclass($2))", connection)
            {
                Parameters = { new() { Value = Publication }, new() { Value = Qualified(table) } },
            };
            if (!(bool)(await published.ExecuteScalarAsync(_stop.Token).ConfigureAwait(false))!)
            {
                missing.Add(Qualified(table));
            }
        }

        if (missing.Count == 0)
        {
            return;
        }

        await using var any = new NpgsqlCommand("SELECT EXISTS (SELECT 1 FROM pg_publication WHERE pubname = $1)", connection) { Parameters = { new() { Value = Publication } } };
        var sql = (bool)(await any.ExecuteScalarAsync(_stop.Token).ConfigureAwait(false))!
            ? $"ALTER PUBLICATION {Publication} ADD TABLE {string.Join(", ", missing)}"
            : $"CREATE PUBLICATION {Publication} FOR TABLE {string.Join(", ", missing)}";
        await using var publish = new NpgsqlCommand(sql, connection);
        await publish.ExecuteNonQueryAsync(_stop.Token).ConfigureAwait(false);
        Published(logger, database.Name, Publication, string.Join(", ", missing));
    }

    /// <summary>Opens a temporary slot and applies each committed transaction it streams, until it breaks or the node stops.</summary>
    private async Task FollowAsync()
    {
        await using var replication = new LogicalReplicationConnection(database.ConnectionString);
        await replication.Open(_stop.Token).ConfigureAwait(false);
        var slot = await replication.CreatePgOutputReplicationSlot(_slot, temporarySlot: true, LogicalSlotSnapshotInitMode.NoExport, cancellationToken: _stop.Token)
            .ConfigureAwait(false);

        // A new slot starts now: what was committed while none was open is unknown to this node.
        var drop = _followedBefore ? $"the logical replication stream of {database.Name} was down: changes in between were not seen" : start.DropReason;
        if (drop is not null)
        {
            await _condition.DropEverythingAsync(drop, Echoes).ConfigureAwait(false);
        }

        _followedBefore = true;
        _condition.Live($"following {database.Tables.Count} tables of {database.Name} through publication {Publication} and slot {_slot}");
        _firstTurn.TrySetResult();

        List<FeedChange> transaction = [];
        long position = 0;
        DateTimeOffset committedAt = default;
        await foreach (var message in replication.StartReplication(slot, new PgOutputReplicationOptions(Publication, PgOutputProtocolVersion.V1), _stop.Token)
            .ConfigureAwait(false))
        {
            switch (message)
            {
                case BeginMessage begin:
                    transaction = [];
                    position = ToPosition(begin.TransactionFinalLsn);
                    committedAt = new DateTimeOffset(DateTime.SpecifyKind(begin.TransactionCommitTimestamp, DateTimeKind.Utc));
                    break;
                case InsertMessage insert:
                    await AddAsync(transaction, insert.Relation, insert.NewRow, position, committedAt).ConfigureAwait(false);
                    break;
                case IndexUpdateMessage moved:
                    await AddAsync(transaction, moved.Relation, moved.Key, position, committedAt).ConfigureAwait(false);
                    await AddAsync(transaction, moved.Relation, moved.NewRow, position, committedAt).ConfigureAwait(false);
                    break;
                case FullUpdateMessage full:
                    await AddAsync(transaction, full.Relation, full.OldRow, position, committedAt).ConfigureAwait(false);
                    await AddAsync(transaction, full.Relation, full.NewRow, position, committedAt).ConfigureAwait(false);
                    break;
                case UpdateMessage update:
                    await AddAsync(transaction, update.Relation, update.NewRow, position, committedAt).ConfigureAwait(false);
                    break;
                case KeyDeleteMessage deleted:
                    await AddAsync(transaction, deleted.Relation, deleted.Key, position, committedAt).ConfigureAwait(false);
                    break;
                case FullDeleteMessage deleted:
                    await AddAsync(transaction, deleted.Relation, deleted.OldRow, position, committedAt).ConfigureAwait(false);
                    break;
                case TruncateMessage truncated:
                    transaction.AddRange(truncated.Relations.Select(r => new FeedChange(position, r.RelationName, null, committedAt, Where(position), r.Namespace)));
                    break;
                case CommitMessage commit:
                    if (transaction.Count > 0)
                    {
                        var changes = transaction;
                        await board.ApplyApartAsync(() => applier.ApplyAsync(database, Echoes, changes), time, _stop.Token).ConfigureAwait(false);
                        _condition.Applied(changes);
                    }

                    Volatile.Write(ref _position, position);
                    Echoes.Prune(position);
                    transaction = [];
                    break;
            }

            // Confirmed as read: the server may recycle the WAL behind it.
            replication.SetReplicationStatus(message.WalEnd);
        }
    }

    /// <summary>Adds the change of one row: its table's key column values, read from the row (as text, pgoutput's default).</summary>
    private async Task AddAsync(List<FeedChange> transaction, RelationMessage relation, ReplicationTuple row, long position, DateTimeOffset committedAt)
    {
        var table = database.Find(relation.RelationName, relation.Namespace);
        var values = new object?[table?.KeyColumns.Count ?? 0];
        var column = 0;
        await foreach (var value in row.ConfigureAwait(false))
        {
            var name = relation.Columns[column++].ColumnName;
            var index = table is null ? -1 : IndexOf(table.KeyColumns, name);
            if (index >= 0 && !value.IsDBNull && !value.IsUnchangedToastedValue)
            {
                values[index] = await value.Get<string>(_stop.Token).ConfigureAwait(false);
            }
        }

        if (table is not null)
        {
            transaction.Add(new FeedChange(position, relation.RelationName, values.Any(v => v is null) ? null : values, committedAt, Where(position), relation.Namespace));
        }
    }

    /// <summary>Why the feed cannot follow, with the fix where PostgreSQL's error names a setting or a grant.</summary>
    private string Explain(Exception ex)
    {
        var role = new NpgsqlConnectionStringBuilder(database.ConnectionString).Username ?? "the app's role";
        return ex switch
        {
            FeedNotReadyException => ex.Message,
            PostgresException { SqlState: PostgresErrorCodes.InsufficientPrivilege } denied when denied.MessageText.Contains("replication", StringComparison.OrdinalIgnoreCase) =>
                $"the role {role} may not stream changes from {database.Name} ({denied.MessageText}): grant it with ALTER ROLE \"{role}\" REPLICATION, or connect as a role that has it (a managed server names it otherwise: docs/database-feed.md)",
            PostgresException { SqlState: PostgresErrorCodes.InsufficientPrivilege } denied =>
                $"the role {role} may not publish the cached tables of {database.Name} ({denied.MessageText}): make it their owner, or create the publication {Publication} for them as one",
            PostgresException { SqlState: PostgresErrorCodes.ObjectNotInPrerequisiteState } state when state.MessageText.Contains("wal_level", StringComparison.OrdinalIgnoreCase) =>
                $"{database.Name} does not keep logical WAL ({state.MessageText}): set wal_level = logical on the server and restart it",
            _ => $"the logical replication stream of {database.Name} broke: {ex.Message}",
        };
    }

    private static int IndexOf(IReadOnlyList<string> columns, string name)
    {
        for (var i = 0; i < columns.Count; i++)
        {
            if (columns[i] == name)
            {
                return i;
            }
        }

        return -1;
    }

    private static string Qualified(WatchedTable table) =>
        table.Schema is null ? QuoteName(table.Name) : $"{QuoteName(table.Schema)}.{QuoteName(table.Name)}";

    private static string QuoteName(string name) => "\"" + name.Replace("\"", "\"\"", StringComparison.Ordinal) + "\"";

    private static long ToPosition(NpgsqlLogSequenceNumber lsn) => unchecked((long)(ulong)lsn);

    private static string Where(long position) => string.Create(CultureInfo.InvariantCulture, $"LSN {new NpgsqlLogSequenceNumber(unchecked((ulong)position))}");

    /// <inheritdoc />
    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }

        board.Remove(this);
        await _stop.CancelAsync().ConfigureAwait(false);
        if (_loop is not null)
        {
            await _loop.ConfigureAwait(false);
        }
    }

    [LoggerMessage(EventId = 71, Level = LogLevel.Information, Message = "Watching {Database}: publication {Publication} now also publishes {Tables}")]
    private static partial void Published(ILogger logger, string database, string publication, string tables);

    [LoggerMessage(EventId = 72, Level = LogLevel.Warning,
        Message = "The change feed does not publish {Table}: it has no primary key, and publishing its updates would make PostgreSQL refuse them. Give it a key, or its entries are seen changed only when they expire")]
    private static partial void NotPublished(ILogger logger, string table);
}
