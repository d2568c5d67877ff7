namespace Qset.Caching.Feed;

/// <summary>
/// What the SQLite feed installs in the user's database: one change-log table, and three triggers on each cached table
/// that write (table, key, time) to it for every inserted, updated or deleted row, in the writer's own transaction, so a
/// rollback takes its rows with it. Every name starts with <see cref="Prefix"/>; nothing else is touched.
/// </summary>
internal static class SqliteFeedSchema
{
    /// <summary>The prefix of every object the feed installs.</summary>
    public const string Prefix = "__qset_";

    /// <summary>The change log: its <c>seq</c> grows by one per change (AUTOINCREMENT: never reused, even after a trim).</summary>
    public const string LogTable = Prefix + "changes";

    // Milliseconds since 1970 by the database's clock, in every SQLite version (unixepoch() needs 3.38).
    private const string Now = "CAST((julianday('now') - 2440587.5) * 86400000 AS INTEGER)";

    /// <summary>Creates the log when it is missing.</summary>
    public static string CreateLog =>
        $"""CREATE TABLE IF NOT EXISTS {Quote(LogTable)} ("seq" INTEGER PRIMARY KEY AUTOINCREMENT, "tbl" TEXT NOT NULL, "pk" TEXT, "at" INTEGER NOT NULL);""";

    /// <summary>The last position written to the log (0 before any).</summary>
    public static string Head => $"SELECT IFNULL((SELECT \"seq\" FROM sqlite_sequence WHERE \"name\" = '{LogTable}'), 0);";

    /// <summary>Up to <c>$limit</c> changes after <c>$after</c>, in order.</summary>
    public static string ReadAfter => $"SELECT \"seq\", \"tbl\", \"pk\", \"at\" FROM {Quote(LogTable)} WHERE \"seq\" > $after ORDER BY \"seq\" LIMIT $limit;";

    /// <summary>
    /// Deletes the changes written before <c>$cutoff</c> (ms since 1970). The first change to keep is found by walking the
    /// log from its start, which stops at the first one young enough: no index on the time, no scan of what stays.
    /// </summary>
    public static string Trim =>
        $"DELETE FROM {Quote(LogTable)} WHERE \"seq\" < IFNULL((SELECT \"seq\" FROM {Quote(LogTable)} WHERE \"at\" >= $cutoff ORDER BY \"seq\" LIMIT 1), " +
        $"(SELECT IFNULL(MAX(\"seq\"), 0) + 1 FROM {Quote(LogTable)}));";

    /// <summary>The database's change counter and schema counter, in one statement.</summary>
    public const string Versions = "SELECT (SELECT data_version FROM pragma_data_version), (SELECT schema_version FROM pragma_schema_version);";

    /// <summary>How many of the feed's objects exist (its log and the triggers of <paramref name="tables"/>).</summary>
    public static string CountInstalled(IEnumerable<WatchedTable> tables)
    {
        var names = tables.SelectMany(TriggerNames).Append(LogTable).Select(Literal);
        return $"SELECT COUNT(*) FROM sqlite_master WHERE \"name\" IN ({string.Join(", ", names)}) AND \"type\" IN ('table', 'trigger');";
    }

    /// <summary>How many objects <see cref="CountInstalled"/> counts when all are there.</summary>
    public static int Expected(IReadOnlyCollection<WatchedTable> tables) => (tables.Count * 3) + 1;

    /// <summary>Whether a table exists.</summary>
    public static string TableExists(WatchedTable table) =>
        $"SELECT COUNT(*) FROM sqlite_master WHERE \"type\" = 'table' AND \"name\" = {Literal(table.Name)} COLLATE NOCASE;";

    /// <summary>Drops and creates the three triggers of <paramref name="table"/> (so that they match its key as it is now).</summary>
    public static IEnumerable<string> Triggers(WatchedTable table)
    {
        var (insert, update, delete) = Names(table);
        var name = Literal(table.Name);
        var target = Quote(table.Name);
        string Log(string row) => $"INSERT INTO {Quote(LogTable)} (\"tbl\", \"pk\", \"at\") VALUES ({name}, {KeyOf(table, row)}, {Now});";

        yield return $"DROP TRIGGER IF EXISTS {Quote(insert)};";
        yield return $"DROP TRIGGER IF EXISTS {Quote(update)};";
        yield return $"DROP TRIGGER IF EXISTS {Quote(delete)};";
        yield return $"CREATE TRIGGER {Quote(insert)} AFTER INSERT ON {target} BEGIN {Log("NEW")} END;";

        // A key that changed is both rows: the old key's entry is gone, the new key's may have been cached as missing.
        var moved = table.KeyColumns.Count == 0
            ? string.Empty
            : $" INSERT INTO {Quote(LogTable)} (\"tbl\", \"pk\", \"at\") SELECT {name}, {KeyOf(table, "NEW")}, {Now} WHERE {KeyOf(table, "NEW")} IS NOT {KeyOf(table, "OLD")};";
        yield return $"CREATE TRIGGER {Quote(update)} AFTER UPDATE ON {target} BEGIN {Log("OLD")}{moved} END;";
        yield return $"CREATE TRIGGER {Quote(delete)} AFTER DELETE ON {target} BEGIN {Log("OLD")} END;";
    }

    /// <summary>Lists every object the feed installed, by its prefix, for the uninstall.</summary>
    public static string ListInstalled =>
        $"SELECT \"type\", \"name\" FROM sqlite_master WHERE \"type\" IN ('trigger', 'table') AND substr(\"name\", 1, {Prefix.Length}) = '{Prefix}' ORDER BY \"type\" DESC;";

    /// <summary>The statement that drops an installed object.</summary>
    public static string Drop(string type, string name) =>
        type == "trigger" ? $"DROP TRIGGER IF EXISTS {Quote(name)};" : $"DROP TABLE IF EXISTS {Quote(name)};";

    private static IEnumerable<string> TriggerNames(WatchedTable table)
    {
        var (insert, update, delete) = Names(table);
        return [insert, update, delete];
    }

    private static (string Insert, string Update, string Delete) Names(WatchedTable table) =>
        ($"{Prefix}{table.Name}_insert", $"{Prefix}{table.Name}_update", $"{Prefix}{table.Name}_delete");

    private static string KeyOf(WatchedTable table, string row) =>
        table.KeyColumns.Count == 0 ? "NULL" : string.Join(" || ',' || ", table.KeyColumns.Select(c => $"quote({row}.{Quote(c)})"));

    /// <summary>An SQL identifier, quoted.</summary>
    public static string Quote(string identifier) => "\"" + identifier.Replace("\"", "\"\"", StringComparison.Ordinal) + "\"";

    private static string Literal(string text) => "'" + text.Replace("'", "''", StringComparison.Ordinal) + "'";
}
