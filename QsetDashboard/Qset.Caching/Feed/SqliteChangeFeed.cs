using System.Data.Common;
using System.Globalization;
using Microsoft.Extensions.Logging;

namespace Qset.Caching.Feed;

/// <summary>
/// Follows one SQLite database through the change log its triggers write (<see cref="SqliteFeedSchema"/>). A
/// connection of its own reads <c>PRAGMA data_version</c> every <see cref="CacheOptions.WatchInterval"/>: it moves when
/// any other connection, of any process, commits; only then is the log read, from the feed's position on. The log's
/// positions have no holes (one writer at a time, AUTOINCREMENT), so a hole means changes were lost (trimmed before
/// this node read them, or deleted): the node then drops what it holds. While the feed cannot read, the node is blind.
/// </summary>
internal sealed partial class SqliteChangeFeed(
    WatchedDatabase database, FeedStart start, FeedApplier applier, FeedBoard board, QsetCache cache, CacheRecorder recorder, CacheOptions options, TimeProvider time, ILogger<SqliteChangeFeed> logger)
    : IChangeFeed, IAsyncDisposable
{
    // Not disposed: a write finishing during shutdown may still ask for the head (and get null).
    private const int Batch = 1_000;

    private readonly SemaphoreSlim _gate = new(1, 1);
    private readonly CancellationTokenSource _stop = new();
    private DbConnection? _connection;
    private Task? _loop;
    private bool _installed;
    private long _position = start.ResumeFrom ?? -1;
    private string? _dropOnStart = start.DropReason;
    private long _dataVersion = -1;
    private long _schemaVersion = -1;
    private long _lastTrimTicks;
    private int _disposed;
    private readonly FeedCondition _condition = new(database.Name, board, cache, recorder, time, logger);

    /// <inheritdoc />
    public FeedEchoes Echoes { get; } = new();

    /// <summary>The position of the last change applied.</summary>
    public long Position => Volatile.Read(ref _position);

    /// <inheritdoc />
    public bool Follows(string entityName) => database.Follows(entityName);

    /// <summary>Installs the log and triggers and starts following; a first failure leaves the node blind and retrying.</summary>
    public async Task StartAsync(CancellationToken cancellationToken)
    {
        _condition.Starting("installing the change log");
        board.Add(this);
        await StepAsync().ConfigureAwait(false);
        _loop = Task.Run(LoopAsync, CancellationToken.None);
    }

    /// <inheritdoc />
    public async ValueTask<long?> TryReadHeadAsync()
    {
        if (!_installed)
        {
            return null;
        }

        try
        {
            await _gate.WaitAsync(_stop.Token).ConfigureAwait(false);
            try
            {
                return _connection is null ? null : await ScalarAsync(_connection, SqliteFeedSchema.Head, CancellationToken.None).ConfigureAwait(false);
            }
            finally
            {
                _gate.Release();
            }
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
                var wait = _condition.State == DatabaseFeedState.Live ? options.WatchInterval : TimeSpan.FromSeconds(1);
                await Task.Delay(wait, time, _stop.Token).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                return;
            }

            await StepAsync().ConfigureAwait(false);
        }
    }

    /// <summary>One turn: connect and install when needed, then read and apply what changed. Never throws.</summary>
    private async Task StepAsync()
    {
        try
        {
            while (await ReadAsync().ConfigureAwait(false) is { } batch)
            {
                if (batch.Gap is { } gap)
                {
                    await _condition.DropEverythingAsync(gap, Echoes).ConfigureAwait(false);
                }
                else if (batch.Changes.Count > 0)
                {
                    await board.ApplyApartAsync(() => applier.ApplyAsync(database, Echoes, batch.Changes), time, _stop.Token).ConfigureAwait(false);
                    _condition.Applied(batch.Changes);
                }

                Volatile.Write(ref _position, batch.Position);
                Echoes.Prune(batch.Position);
                if (!batch.More)
                {
                    break;
                }
            }

            _condition.Live($"following {database.Tables.Count} tables of {database.Name} through its change log");
        }
        catch (OperationCanceledException) when (_stop.IsCancellationRequested)
        {
        }
#pragma warning disable CA1031 // Any failure makes the node blind (reads go to the database) until a turn succeeds.
        catch (Exception ex)
#pragma warning restore CA1031
        {
            await CloseAsync().ConfigureAwait(false);
            _condition.Blind(ex is FeedNotReadyException ? ex.Message : $"cannot read the change log of {database.Name}: {ex.Message}");
        }
    }

    private sealed record FeedBatch(IReadOnlyList<FeedChange> Changes, long Position, bool More, string? Gap);

    /// <summary>Reads the next batch under the gate; null when nothing moved.</summary>
    private async Task<FeedBatch?> ReadAsync()
    {
        await _gate.WaitAsync(_stop.Token).ConfigureAwait(false);
        try
        {
            var connection = _connection ??= await database.OpenAsync(_stop.Token).ConfigureAwait(false);
            string? gap = null;
            if (!_installed)
            {
                gap = await InstallAsync(connection).ConfigureAwait(false);
            }

            var (dataVersion, schemaVersion) = await VersionsAsync(connection).ConfigureAwait(false);
            if (schemaVersion != _schemaVersion)
            {
                if (await ScalarAsync(connection, SqliteFeedSchema.CountInstalled(database.Tables), _stop.Token).ConfigureAwait(false)
                    != SqliteFeedSchema.Expected(database.Tables))
                {
                    // Someone dropped a trigger or the log (a migration that rebuilt a table drops its triggers): changes
                    // since may be unrecorded. Put them back, and drop what is held.
                    Reinstalled(logger, database.Name);
                    gap = await InstallAsync(connection).ConfigureAwait(false)
                        ?? $"the change feed's triggers or log in {database.Name} were removed by someone and put back: changes in between may be unrecorded";
                    (dataVersion, schemaVersion) = await VersionsAsync(connection).ConfigureAwait(false);
                }

                _schemaVersion = schemaVersion;
            }

            await TrimWhenDueAsync(connection).ConfigureAwait(false);
            if (gap is not null)
            {
                _dataVersion = dataVersion;
                return new FeedBatch([], await LastPositionAsync(connection).ConfigureAwait(false), false, gap);
            }

            if (dataVersion == _dataVersion && _condition.State == DatabaseFeedState.Live)
            {
                return null;
            }

            _dataVersion = dataVersion;
            return await ReadChangesAsync(connection).ConfigureAwait(false);
        }
        finally
        {
            _gate.Release();
        }
    }

    private async Task<FeedBatch> ReadChangesAsync(DbConnection connection)
    {
        await using var command = connection.CreateCommand();
        command.CommandText = SqliteFeedSchema.ReadAfter;
        AddParameter(command, "$after", _position);
        AddParameter(command, "$limit", Batch);
        List<FeedChange> changes = [];
        var expected = _position + 1;
        await using (var reader = await command.ExecuteReaderAsync(_stop.Token).ConfigureAwait(false))
        {
            while (await reader.ReadAsync(_stop.Token).ConfigureAwait(false))
            {
                var position = reader.GetInt64(0);
                if (position != expected)
                {
                    return new FeedBatch([], await LastPositionAsync(connection).ConfigureAwait(false), false, Gone(expected, position - 1));
                }

                expected++;
                var key = reader.IsDBNull(2) ? null : reader.GetString(2);
                changes.Add(new FeedChange(
                    position,
                    reader.GetString(1),
                    key is null ? null : ParseKey(key),
                    DateTimeOffset.FromUnixTimeMilliseconds(reader.GetInt64(3)),
                    string.Create(CultureInfo.InvariantCulture, $"change #{position}")));
            }
        }

        if (changes.Count == 0 && await LastPositionAsync(connection).ConfigureAwait(false) is var head && head > _position)
        {
            // Written past this node's position, yet nothing left to read: the changes were deleted before it read them.
            return new FeedBatch([], head, false, Gone(_position + 1, head));
        }

        return new FeedBatch(changes, changes.Count > 0 ? changes[^1].Position : _position, changes.Count == Batch, null);
    }

    // A key the feed cannot parse makes the change one to the whole table, not a feed that stops.
    private static IReadOnlyList<object?>? ParseKey(string key)
    {
        try
        {
            return SqliteLiterals.Parse(key);
        }
        catch (FormatException)
        {
            return null;
        }
    }

    private string Gone(long first, long last) =>
        $"changes {first} to {last} of {database.Name}'s change log are gone (trimmed after {options.ChangeLogRetention} before this node read them, or deleted): some writes were not seen";

    private async Task<long> LastPositionAsync(DbConnection connection) =>
        await ScalarAsync(connection, SqliteFeedSchema.Head, _stop.Token).ConfigureAwait(false);

    /// <summary>
    /// Creates the log and (re)creates every trigger, in one transaction. The first time, the feed starts at the log's
    /// head, or where <see cref="FeedStart.ResumeFrom"/> says; later (after a reconnect), from where it was. Returns why what is held must go, when it must.
    /// </summary>
    private async Task<string?> InstallAsync(DbConnection connection)
    {
        foreach (var table in database.Tables)
        {
            if (await ScalarAsync(connection, SqliteFeedSchema.TableExists(table), _stop.Token).ConfigureAwait(false) == 0)
            {
                throw new FeedNotReadyException(
                    $"table {table.Name} does not exist in {database.Name} yet (apply the migrations): reads go to the database until it does");
            }
        }

        await using (var transaction = await connection.BeginTransactionAsync(_stop.Token).ConfigureAwait(false))
        {
            await ExecuteAsync(connection, transaction, SqliteFeedSchema.CreateLog).ConfigureAwait(false);
            foreach (var table in database.Tables)
            {
                foreach (var statement in SqliteFeedSchema.Triggers(table))
                {
                    await ExecuteAsync(connection, transaction, statement).ConfigureAwait(false);
                }
            }

            await transaction.CommitAsync(_stop.Token).ConfigureAwait(false);
        }

        _installed = true;
        var head = await LastPositionAsync(connection).ConfigureAwait(false);
        (_, _schemaVersion) = await VersionsAsync(connection).ConfigureAwait(false);
        var dropOnStart = _dropOnStart;
        _dropOnStart = null;
        if (_position < 0)
        {
            Volatile.Write(ref _position, head);
            Installed(logger, database.Name, database.Tables.Count, string.Join(", ", database.Tables.Select(t => t.Name)));
            return dropOnStart;
        }

        // The log was made again (its positions start over): whatever was written in between is unknown.
        return head < _position
            ? $"the change log of {database.Name} was dropped by someone and made again: changes in between were not recorded"
            : null;
    }

    private async Task TrimWhenDueAsync(DbConnection connection)
    {
        var now = time.GetUtcNow();
        var every = TimeSpan.FromTicks(Math.Max(options.ChangeLogRetention.Ticks / 10, TimeSpan.FromSeconds(1).Ticks));
        if (now.UtcTicks - _lastTrimTicks < every.Ticks)
        {
            return;
        }

        _lastTrimTicks = now.UtcTicks;
        await using var command = connection.CreateCommand();
        command.CommandText = SqliteFeedSchema.Trim;
        AddParameter(command, "$cutoff", (now - options.ChangeLogRetention).ToUnixTimeMilliseconds());
        await command.ExecuteNonQueryAsync(_stop.Token).ConfigureAwait(false);
    }

    private async Task<(long Data, long Schema)> VersionsAsync(DbConnection connection)
    {
        await using var command = connection.CreateCommand();
        command.CommandText = SqliteFeedSchema.Versions;
        await using var reader = await command.ExecuteReaderAsync(_stop.Token).ConfigureAwait(false);
        await reader.ReadAsync(_stop.Token).ConfigureAwait(false);
        return (reader.GetInt64(0), reader.GetInt64(1));
    }

    private static async Task<long> ScalarAsync(DbConnection connection, string sql, CancellationToken cancellationToken)
    {
        await using var command = connection.CreateCommand();
        command.CommandText = sql;
        return Convert.ToInt64(await command.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false), CultureInfo.InvariantCulture);
    }

    private async Task ExecuteAsync(DbConnection connection, DbTransaction transaction, string sql)
    {
        await using var command = connection.CreateCommand();
        command.Transaction = transaction;
        command.CommandText = sql;
        await command.ExecuteNonQueryAsync(_stop.Token).ConfigureAwait(false);
    }

    private static void AddParameter(DbCommand command, string name, long value)
    {
        var parameter = command.CreateParameter();
        parameter.ParameterName = name;
        parameter.Value = value;
        command.Parameters.Add(parameter);
    }

    private async Task CloseAsync()
    {
        await _gate.WaitAsync(CancellationToken.None).ConfigureAwait(false);
        try
        {
            if (_connection is not null)
            {
                await _connection.DisposeAsync().ConfigureAwait(false);
                _connection = null;
            }

            // Installed again on reconnect: a trigger may have gone while the feed could not look.
            _installed = false;
        }
        finally
        {
            _gate.Release();
        }
    }

    /// <inheritdoc />
    public async ValueTask DisposeAsync()
    {
        // A host may be stopped twice at once (its own Run and a test factory): the first stop does it.
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

        await CloseAsync().ConfigureAwait(false);
    }

    [LoggerMessage(EventId = 61, Level = LogLevel.Information, Message = "Watching {Database}: triggers on {Count} tables ({Tables}) write every committed change to " + SqliteFeedSchema.LogTable)]
    private static partial void Installed(ILogger logger, string database, int count, string tables);

    [LoggerMessage(EventId = 64, Level = LogLevel.Error,
        Message = "The change feed's triggers or change log in {Database} were removed by someone; putting them back. To remove them for good, turn Cache:WatchDatabase off on every node, then call UninstallQsetChangeFeedAsync")]
    private static partial void Reinstalled(ILogger logger, string database);
}

/// <summary>The database is not ready for the feed yet (a table is missing); the message says what to do.</summary>
internal sealed class FeedNotReadyException(string message) : Exception(message);
