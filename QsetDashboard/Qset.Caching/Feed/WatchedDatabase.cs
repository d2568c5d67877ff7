using System.Data.Common;

namespace Qset.Caching.Feed;

/// <summary>
/// One database this node's contexts cache from: how to open a connection of its own, and the tables to follow (those
/// of every context on it, merged by table name).
/// </summary>
internal sealed class WatchedDatabase(string name, string providerName, DbProviderFactory provider, string connectionString, IReadOnlyList<WatchedTable> tables)
{
    private readonly HashSet<string> _entityNames = [.. tables.SelectMany(t => t.Targets).Select(t => t.EntityName)];
    private readonly ILookup<string, WatchedTable> _byName = tables.ToLookup(t => t.Name, StringComparer.OrdinalIgnoreCase);

    /// <summary>The database as messages name it (its file, or host and database).</summary>
    public string Name => name;

    /// <summary>The EF provider the database's contexts run on (<c>Microsoft.EntityFrameworkCore.Sqlite</c>).</summary>
    public string ProviderName => providerName;

    /// <summary>The connection string the feed connects with.</summary>
    public string ConnectionString => connectionString;

    /// <summary>The tables the feed follows.</summary>
    public IReadOnlyList<WatchedTable> Tables => tables;

    /// <summary>Opens a new connection to the database, of the feed's own.</summary>
    public async Task<DbConnection> OpenAsync(CancellationToken cancellationToken)
    {
        var connection = provider.CreateConnection() ?? throw new InvalidOperationException($"{provider.GetType().Name} made no connection");
        connection.ConnectionString = connectionString;
        try
        {
            await connection.OpenAsync(cancellationToken).ConfigureAwait(false);
            return connection;
        }
        catch
        {
            await connection.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }

    /// <summary>True when a table of the database stores entity type <paramref name="entityName"/>.</summary>
    public bool Follows(string entityName) => _entityNames.Contains(entityName);

    /// <summary>
    /// The watched table named <paramref name="table"/> (as the database spells it) in <paramref name="schema"/> (null
    /// where the database has none, as SQLite): the one the model puts in that schema, else one the model leaves in the
    /// default schema (a change in another schema's table of that name then invalidates it too: more than needed, never
    /// less); null for a table not cached here.
    /// </summary>
    public WatchedTable? Find(string table, string? schema = null)
    {
        WatchedTable? unqualified = null;
        foreach (var candidate in _byName[table])
        {
            if (schema is null || string.Equals(candidate.Schema, schema, StringComparison.Ordinal))
            {
                return candidate;
            }

            unqualified ??= candidate.Schema is null ? candidate : null;
        }

        return unqualified;
    }
}
