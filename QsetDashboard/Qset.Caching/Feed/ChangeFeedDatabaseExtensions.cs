using System.Data.Common;
using Microsoft.EntityFrameworkCore.Infrastructure;
using Qset.Caching.Feed;

namespace Microsoft.EntityFrameworkCore;

/// <summary>Removes what <c>Cache:WatchDatabase</c> installed in a database.</summary>
public static class ChangeFeedDatabaseExtensions
{
    /// <summary>
    /// Drops the change feed's triggers and change log (every object named <c>__qset_*</c>) from the database of
    /// <paramref name="database"/>, in one transaction, and returns how many objects went. Turn
    /// <c>Cache:WatchDatabase</c> off on every node first: a running feed puts them back. Nothing else is touched; a
    /// database without them is left as it is.
    /// </summary>
    public static async Task<int> UninstallQsetChangeFeedAsync(this DatabaseFacade database, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(database);
        if (database.ProviderName != DatabaseWatch.SqliteProvider)
        {
            throw new NotSupportedException($"The change feed installs nothing on {database.ProviderName}: there is nothing to uninstall.");
        }

        var connection = database.GetDbConnection();
        var opened = connection.State != System.Data.ConnectionState.Open;
        if (opened)
        {
            await connection.OpenAsync(cancellationToken).ConfigureAwait(false);
        }

        try
        {
            List<(string Type, string Name)> installed = [];
            await using (var list = connection.CreateCommand())
            {
                list.CommandText = SqliteFeedSchema.ListInstalled;
                await using var reader = await list.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
                while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
                {
                    installed.Add((reader.GetString(0), reader.GetString(1)));
                }
            }

            await using var transaction = await connection.BeginTransactionAsync(cancellationToken).ConfigureAwait(false);
            foreach (var (type, name) in installed)
            {
                await using var drop = connection.CreateCommand();
                drop.Transaction = transaction;
                drop.CommandText = SqliteFeedSchema.Drop(type, name);
                await drop.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
            }

            await transaction.CommitAsync(cancellationToken).ConfigureAwait(false);
            return installed.Count;
        }
        finally
        {
            if (opened)
            {
                await connection.CloseAsync().ConfigureAwait(false);
            }
        }
    }
}
