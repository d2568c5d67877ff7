using System.Data.Common;
using Microsoft.EntityFrameworkCore.Diagnostics;

namespace Qset.Caching.Interceptors;

/// <summary>
/// Catches the writes that bypass SaveChanges (ExecuteUpdate, ExecuteDelete, raw SQL through ExecuteSql or
/// FromSql), whose rows cannot be named: the statement's target tables are found in its SQL, and each gets a
/// bulk version bump, so every by-id entry and query result of the table is stale, at commit.
/// </summary>
internal sealed class BulkWriteInterceptor(PendingInvalidations pending, ContextNames contextNames) : DbCommandInterceptor
{
    /// <inheritdoc />
    public override int NonQueryExecuted(DbCommand command, CommandExecutedEventData eventData, int result)
    {
        OnExecutedAsync(command, eventData).GetAwaiter().GetResult();
        return result;
    }

    /// <inheritdoc />
    public override async ValueTask<int> NonQueryExecutedAsync(
        DbCommand command, CommandExecutedEventData eventData, int result, CancellationToken cancellationToken = default)
    {
        await OnExecutedAsync(command, eventData).ConfigureAwait(false);
        return result;
    }

    /// <inheritdoc />
    public override DbDataReader ReaderExecuted(DbCommand command, CommandExecutedEventData eventData, DbDataReader result)
    {
        OnExecutedAsync(command, eventData).GetAwaiter().GetResult();
        return result;
    }

    /// <inheritdoc />
    public override async ValueTask<DbDataReader> ReaderExecutedAsync(
        DbCommand command, CommandExecutedEventData eventData, DbDataReader result, CancellationToken cancellationToken = default)
    {
        await OnExecutedAsync(command, eventData).ConfigureAwait(false);
        return result;
    }

    /// <inheritdoc />
    public override object? ScalarExecuted(DbCommand command, CommandExecutedEventData eventData, object? result)
    {
        OnExecutedAsync(command, eventData).GetAwaiter().GetResult();
        return result;
    }

    /// <inheritdoc />
    public override async ValueTask<object?> ScalarExecutedAsync(
        DbCommand command, CommandExecutedEventData eventData, object? result, CancellationToken cancellationToken = default)
    {
        await OnExecutedAsync(command, eventData).ConfigureAwait(false);
        return result;
    }

    /// <summary>The writes a command made, as the invalidation sees them; empty for reads and for SaveChanges' own commands.</summary>
    public static IReadOnlyList<TableWrite> WritesOf(string? sql, CommandSource source, ModelNames? names)
    {
        // SaveChanges is handled row by row by its own interceptor; migrations and LINQ reads change no cached data.
        if (source is CommandSource.SaveChanges or CommandSource.Migrations or CommandSource.LinqQuery
            or CommandSource.ValueGenerator or CommandSource.Scaffolding)
        {
            return [];
        }

        List<TableWrite> writes = [];
        foreach (var (verb, table) in SqlTables.Written(sql))
        {
            var what = source switch
            {
                CommandSource.ExecuteUpdate => $"ExecuteUpdate on {table}",
                CommandSource.ExecuteDelete => $"ExecuteDelete on {table}",
                _ => $"raw SQL {verb} on {table}",
            };
            foreach (var entity in names?.EntitiesOf(table) ?? [table])
            {
                writes.Add(new TableWrite(entity, null, what, Bulk: true));
            }
        }

        return writes;
    }

    private Task OnExecutedAsync(DbCommand command, CommandExecutedEventData eventData)
    {
        var writes = WritesOf(command.CommandText, eventData.CommandSource, eventData.Context is { } context ? contextNames.Of(context) : null);
        return writes.Count == 0 ? Task.CompletedTask : pending.RouteAsync(command.Transaction, writes, when: null);
    }
}
