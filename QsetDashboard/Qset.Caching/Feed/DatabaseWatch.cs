using System.Data.Common;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Infrastructure;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Qset.Caching.Feed;

/// <summary>The context types the host registered (with <c>AddDbContext</c>, <c>AddDbContextFactory</c> or a pool), read at start.</summary>
internal sealed class ContextRegistrations(IServiceCollection services)
{
    /// <summary>Each registered context type, once.</summary>
    public IReadOnlyList<Type> ContextTypes =>
        [.. services.Where(d => !d.IsKeyedService && d.ServiceType.IsGenericType && d.ServiceType.GetGenericTypeDefinition() == typeof(DbContextOptions<>))
            .Select(d => d.ServiceType.GetGenericArguments()[0])
            .Distinct()];
}

/// <summary>
/// Starts a change feed for each database the host's cached contexts read, when <see cref="CacheOptions.WatchDatabase"/>
/// is on: before the host serves its first request (a lifecycle service's <c>StartingAsync</c>), so that no read is
/// cached before its database is followed.
/// </summary>
internal sealed partial class DatabaseWatch(
    IServiceProvider services,
    ContextRegistrations registrations,
    ContextNames names,
    FeedBoard board,
    FeedApplier applier,
    QsetCache cache,
    CacheRecorder recorder,
    IOptions<CacheOptions> options,
    TimeProvider time,
    ILoggerFactory loggers) : IAsyncDisposable
{
    /// <summary>The provider name of EF Core's SQLite provider.</summary>
    public const string SqliteProvider = "Microsoft.EntityFrameworkCore.Sqlite";

    /// <summary>The provider name of Npgsql's EF Core provider.</summary>
    public const string PostgresProvider = "Npgsql.EntityFrameworkCore.PostgreSQL";

    private readonly ILogger _logger = loggers.CreateLogger<DatabaseWatch>();
    private readonly List<IChangeFeed> _feeds = [];
    private readonly List<ClusterFeed> _clusters = [];
    private bool _started;

    /// <summary>The feeds this node runs, one per database it follows (on a shared store, those it follows for the cluster).</summary>
    internal IReadOnlyList<IChangeFeed> Feeds
    {
        get
        {
            lock (_feeds)
            {
                return [.. _feeds, .. _clusters.Select(c => c.Following).OfType<IChangeFeed>()];
            }
        }
    }

    /// <summary>On a shared store: each database's share of the cluster's following, this node's side of it.</summary>
    internal IReadOnlyList<ClusterFeed> Clusters
    {
        get
        {
            lock (_feeds)
            {
                return [.. _clusters];
            }
        }
    }

    /// <summary>Starts a feed for each watched database, once; the first turn of each runs before this returns.</summary>
    public async Task StartAsync(CancellationToken cancellationToken)
    {
        if (!options.Value.WatchDatabase || _started)
        {
            return;
        }

        _started = true;
        var shared = options.Value.Backend != CacheBackend.Memory;
        foreach (var database in Discover())
        {
            if (shared)
            {
                // On a shared store one node follows for all: each node's own feed would also throw away, through the
                // store, the values the others read since their own writes.
                var cluster = new ClusterFeed(database, start => Open(database, start), services.GetRequiredService<Redis.RedisConnection>(),
                    board, cache, recorder, options.Value, time, loggers.CreateLogger<ClusterFeed>());
                lock (_feeds)
                {
                    _clusters.Add(cluster);
                }

                await cluster.StartAsync(cancellationToken).ConfigureAwait(false);
                continue;
            }

            var feed = Open(database, FeedStart.Fresh);
            lock (_feeds)
            {
                _feeds.Add(feed);
            }

            await feed.StartAsync(cancellationToken).ConfigureAwait(false);
        }
    }

    private IChangeFeed Open(WatchedDatabase database, FeedStart start) => database.ProviderName == PostgresProvider
        ? new PostgresChangeFeed(database, start, applier, board, cache, recorder, time, loggers.CreateLogger<PostgresChangeFeed>())
        : new SqliteChangeFeed(database, start, applier, board, cache, recorder, options.Value, time, loggers.CreateLogger<SqliteChangeFeed>());

    /// <inheritdoc />
    public async ValueTask DisposeAsync()
    {
        IAsyncDisposable[] feeds;
        lock (_feeds)
        {
            feeds = [.. _feeds, .. _clusters];
            _feeds.Clear();
            _clusters.Clear();
        }

        foreach (var feed in feeds)
        {
            await feed.DisposeAsync().ConfigureAwait(false);
        }
    }

    /// <summary>The databases of every context wired with <c>UseQsetCache</c>, with the tables each caches.</summary>
    private List<WatchedDatabase> Discover()
    {
        Dictionary<(string Provider, string ConnectionString), (DbProviderFactory Factory, string ConnectionString, string Name, List<WatchedTable> Tables)> databases = [];
        foreach (var type in registrations.ContextTypes)
        {
            using var scope = services.CreateScope();
            DbContext? created;
            try
            {
                created = Create(scope.ServiceProvider, type);
            }
#pragma warning disable CA1031 // A context the feed cannot make is one it does not follow: the host must still start.
            catch (Exception ex)
#pragma warning restore CA1031
            {
                var reason = (ex as System.Reflection.TargetInvocationException)?.InnerException?.Message ?? ex.Message;
                NotCreated(_logger, type.Name, reason);
                board.Report(type.Name, new DatabaseFeedStatus(DatabaseFeedState.Unsupported, null, null,
                    $"{type.Name} could not be created to read its model ({reason}), so its database is not followed"));
                continue;
            }

            using var context = created;
            if (context is null || context.GetService<IDbContextOptions>().FindExtension<QsetOptionsExtension>() is null)
            {
                continue;
            }

            var provider = context.Database.ProviderName ?? "(no provider)";
            var connectionString = context.Database.GetConnectionString();
            if (provider is not (SqliteProvider or PostgresProvider))
            {
                Unsupported(_logger, type.Name, provider);
                board.Report(type.Name, new DatabaseFeedStatus(DatabaseFeedState.Unsupported, null, null,
                    $"{type.Name} runs on {provider}, which has no change feed (SQLite and PostgreSQL have one): writes from outside this app are seen only when their entries expire"));
                continue;
            }

            if (string.IsNullOrEmpty(connectionString) || (provider == SqliteProvider && IsInMemory(connectionString)))
            {
                InMemory(_logger, type.Name);
                continue;
            }

            var tables = WatchedTables.Of(context, names.Of(context));
            foreach (var unnamed in tables.SelectMany(t => t.Targets).Where(t => t.Unnamed is not null))
            {
                RowsUnnamed(_logger, unnamed.Unnamed!);
            }

            if (!databases.TryGetValue((provider, connectionString), out var database))
            {
                database = (DbProviderFactories.GetFactory(context.Database.GetDbConnection()) ?? throw new InvalidOperationException($"{provider} has no DbProviderFactory"),
                    connectionString, provider == SqliteProvider ? NameOf(connectionString) : PostgresNameOf(connectionString), []);
                databases[(provider, connectionString)] = database;
            }

            Merge(database.Tables, tables);
        }

        return [.. databases.Select(d => new WatchedDatabase(d.Value.Name, d.Key.Provider, d.Value.Factory, d.Value.ConnectionString, d.Value.Tables))];
    }

    private static DbContext? Create(IServiceProvider scope, Type contextType)
    {
        var factoryType = typeof(IDbContextFactory<>).MakeGenericType(contextType);
        if (scope.GetService(factoryType) is { } factory)
        {
            return (DbContext?)factoryType.GetMethod("CreateDbContext", Type.EmptyTypes)!.Invoke(factory, null);
        }

        return scope.GetService(contextType) as DbContext;
    }

    /// <summary>Adds the tables of another context on the same database: a table (name and schema) both cache gets the targets of both.</summary>
    private static void Merge(List<WatchedTable> into, IReadOnlyList<WatchedTable> tables)
    {
        foreach (var table in tables)
        {
            var index = into.FindIndex(t => string.Equals(t.Name, table.Name, StringComparison.OrdinalIgnoreCase) && string.Equals(t.Schema, table.Schema, StringComparison.Ordinal));
            if (index < 0)
            {
                into.Add(table);
                continue;
            }

            // One set of recorded columns per table: targets keyed by other columns are invalidated by table.
            var existing = into[index];
            var sameColumns = existing.KeyColumns.SequenceEqual(table.KeyColumns, StringComparer.OrdinalIgnoreCase);
            var added = table.Targets.Where(t => !existing.Targets.Any(e => e.EntityName == t.EntityName))
                .Select(t => sameColumns ? t : new FeedTarget(t.EntityName, null, null, $"{t.EntityName} is keyed by other columns than {table.Name}'s first context"));
            into[index] = new WatchedTable(existing.Name, existing.Schema, existing.KeyColumns, [.. existing.Targets, .. added]);
        }
    }

    private static bool IsInMemory(string connectionString)
    {
        var builder = new DbConnectionStringBuilder { ConnectionString = connectionString };
        var source = DataSourceOf(builder);
        var mode = builder.TryGetValue("Mode", out var m) ? m?.ToString() : null;
        return string.IsNullOrEmpty(source) || source == ":memory:" || string.Equals(mode, "Memory", StringComparison.OrdinalIgnoreCase);
    }

    private static string NameOf(string connectionString) =>
        DataSourceOf(new DbConnectionStringBuilder { ConnectionString = connectionString }) is { Length: > 0 } source ? Path.GetFileName(source) : connectionString;

    // A PostgreSQL database as messages name it: never its password.
    private static string PostgresNameOf(string connectionString)
    {
        var builder = new Npgsql.NpgsqlConnectionStringBuilder(connectionString);
        return $"{builder.Database}@{builder.Host}:{builder.Port}";
    }

    // SQLite's file, under any of the names Microsoft.Data.Sqlite accepts for it.
    private static string? DataSourceOf(DbConnectionStringBuilder builder) =>
        builder.TryGetValue("Data Source", out var value) || builder.TryGetValue("DataSource", out value) || builder.TryGetValue("Filename", out value)
            ? value?.ToString()
            : null;

    [LoggerMessage(EventId = 66, Level = LogLevel.Warning,
        Message = "Cache:WatchDatabase is on, but {Context} runs on {Provider}, which has no change feed (SQLite and PostgreSQL have one): writes from outside this app are seen only when their entries expire")]
    private static partial void Unsupported(ILogger logger, string context, string provider);

    [LoggerMessage(EventId = 70, Level = LogLevel.Warning, Message = "Cache:WatchDatabase is on, but {Context} could not be created to read its model ({Reason}): its database is not followed")]
    private static partial void NotCreated(ILogger logger, string context, string reason);

    [LoggerMessage(EventId = 67, Level = LogLevel.Information, Message = "{Context} uses an in-memory SQLite database, which nothing outside this process can write: no change feed")]
    private static partial void InMemory(ILogger logger, string context);

    [LoggerMessage(EventId = 68, Level = LogLevel.Information, Message = "Change feed: {Detail}")]
    private static partial void RowsUnnamed(ILogger logger, string detail);
}
