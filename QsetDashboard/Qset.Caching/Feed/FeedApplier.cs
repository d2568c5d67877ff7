using System.Globalization;
using Microsoft.Extensions.Logging;
using Qset.Caching.Interceptors;

namespace Qset.Caching.Feed;

/// <summary>One committed change a feed read: the row of a table, by its key columns' values, at a position.</summary>
/// <param name="Position">Where the change stands in the feed's order (the log's sequence, or a commit LSN).</param>
/// <param name="Table">The table, as the database names it.</param>
/// <param name="KeyValues">The row's key column values, in the table's <see cref="WatchedTable.KeyColumns"/> order; null when unknown.</param>
/// <param name="CommittedAt">When the database says the change was made.</param>
/// <param name="Where">The change's position as the events show it (<c>change #17</c>, <c>LSN 0/16B3748</c>).</param>
/// <param name="Schema">The table's schema, where the database has schemas (PostgreSQL); null on SQLite.</param>
internal sealed record FeedChange(long Position, string Table, IReadOnlyList<object?>? KeyValues, DateTimeOffset CommittedAt, string Where, string? Schema = null);

/// <summary>
/// Turns changes a feed read into invalidations: each row's by-id key of every entity type its table stores (every
/// by-id entry of a type whose rows the feed cannot name) and the type's query results, skipping what this node's own
/// writes already applied.
/// </summary>
internal sealed partial class FeedApplier(WriteInvalidator invalidator, ILogger<FeedApplier> logger)
{
    private readonly HashSet<string> _warned = new(StringComparer.Ordinal);

    /// <summary>Applies <paramref name="changes"/> of <paramref name="database"/>, in order.</summary>
    public async Task ApplyAsync(WatchedDatabase database, FeedEchoes echoes, IReadOnlyList<FeedChange> changes)
    {
        List<TableWrite> writes = [];
        foreach (var change in changes)
        {
            if (database.Find(change.Table, change.Schema) is not { } table)
            {
                continue;
            }

            foreach (var target in table.Targets)
            {
                var key = KeyOf(table, target, change);
                if (echoes.Covers(target.EntityName, key, change.Position))
                {
                    continue;
                }

                var what = key is null
                    ? $"{table.DisplayName} changed ({change.Where})"
                    : $"{table.DisplayName} row {Describe(change.KeyValues)} changed ({change.Where})";
                writes.Add(new TableWrite(target.EntityName, key, what, Bulk: key is null));
            }
        }

        await invalidator.ApplyFromDatabaseAsync(writes, "committed in the database").ConfigureAwait(false);
    }

    private string? KeyOf(WatchedTable table, FeedTarget target, FeedChange change)
    {
        if (change.KeyValues is null)
        {
            return null;
        }

        try
        {
            return target.KeyOf(change.KeyValues);
        }
        catch (FormatException ex)
        {
            lock (_warned)
            {
                if (_warned.Add(target.EntityName))
                {
                    KeyUnreadable(logger, table.DisplayName, target.EntityName, ex.Message);
                }
            }

            return null;
        }
    }

    private static string Describe(IReadOnlyList<object?>? values) =>
        values is null ? "?" : string.Join(",", values.Select(v => v switch
        {
            null => "NULL",
            byte[] bytes => Convert.ToHexString(bytes),
            IFormattable formattable => formattable.ToString(null, CultureInfo.InvariantCulture),
            _ => v.ToString(),
        }));

    [LoggerMessage(EventId = 60, Level = LogLevel.Warning,
        Message = "The change feed cannot read a key of {Table} back as {EntityName}'s key ({Reason}): each change to it makes every {EntityName} entry stale instead of one")]
    private static partial void KeyUnreadable(ILogger logger, string table, string entityName, string reason);
}
