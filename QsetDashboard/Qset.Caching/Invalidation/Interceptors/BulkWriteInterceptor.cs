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
    public override InterceptionResult<int> NonQueryExecuting(DbCommand command, CommandEventData eventData, InterceptionResult<int> result)
    {
        Begin(command, eventData);
        return result;
    }

    /// <inheritdoc />
    public override ValueTask<InterceptionResult<int>> NonQueryExecutingAsync(
        DbCommand command, CommandEventData eventData, InterceptionResult<int> result, CancellationToken cancellationToken = default)
    {
        Begin(command, eventData);
        return ValueTask.FromResult(result);
    }

    /// <inheritdoc />
    public override InterceptionResult<DbDataReader> ReaderExecuting(DbCommand command, CommandEventData eventData, InterceptionResult<DbDataReader> result)
    {
        Begin(command, eventData);
        return result;
    }

    /// <inheritdoc />
    public override ValueTask<InterceptionResult<DbDataReader>> ReaderExecutingAsync(
        DbCommand command, CommandEventData eventData, InterceptionResult<DbDataReader> result, CancellationToken cancellationToken = default)
    {
        Begin(command, eventData);
        return ValueTask.FromResult(result);
    }

    /// <inheritdoc />
    public override InterceptionResult<object> ScalarExecuting(DbCommand command, CommandEventData eventData, InterceptionResult<object> result)
    {
        Begin(command, eventData);
        return result;
    }

    /// <inheritdoc />
    public override ValueTask<InterceptionResult<object>> ScalarExecutingAsync(
        DbCommand command, CommandEventData eventData, InterceptionResult<object> result, CancellationToken cancellationToken = default)
    {
        Begin(command, eventData);
        return ValueTask.FromResult(result);
    }

    /// <inheritdoc />
    public override int NonQueryExecuted(DbCommand command, CommandExecutedEventData eventData, int result)
    {
        OnExecutedAsync(command).GetAwaiter().GetResult();
        return result;
    }

    /// <inheritdoc />
    public override async ValueTask<int> NonQueryExecutedAsync(
        DbCommand command, CommandExecutedEventData eventData, int result, CancellationToken cancellationToken = default)
    {
        await OnExecutedAsync(command).ConfigureAwait(false);
        return result;
    }

    /// <inheritdoc />
    public override DbDataReader ReaderExecuted(DbCommand command, CommandExecutedEventData eventData, DbDataReader result)
    {
        OnExecutedAsync(command).GetAwaiter().GetResult();
        return result;
    }

    /// <inheritdoc />
    public override async ValueTask<DbDataReader> ReaderExecutedAsync(
        DbCommand command, CommandExecutedEventData eventData, DbDataReader result, CancellationToken cancellationToken = default)
    {
        await OnExecutedAsync(command).ConfigureAwait(false);
        return result;
    }

    /// <inheritdoc />
    public override object? ScalarExecuted(DbCommand command, CommandExecutedEventData eventData, object? result)
    {
        OnExecutedAsync(command).GetAwaiter().GetResult();
        return result;
    }

    /// <inheritdoc />
    public override async ValueTask<object?> ScalarExecutedAsync(
        DbCommand command, CommandExecutedEventData eventData, object? result, CancellationToken cancellationToken = default)
    {
        await OnExecutedAsync(command).ConfigureAwait(false);
        return result;
    }

    /// <inheritdoc />
    public override void CommandFailed(DbCommand command, CommandErrorEventData eventData) => Drop(command);

    /// <inheritdoc />
    public override Task CommandFailedAsync(DbCommand command, CommandErrorEventData eventData, CancellationToken cancellationToken = default)
    {
        Drop(command);
        return Task.CompletedTask;
    }

    /// <inheritdoc />
    public override void CommandCanceled(DbCommand command, CommandEndEventData eventData) => Drop(command);

    /// <inheritdoc />
    public override Task CommandCanceledAsync(DbCommand command, CommandEndEventData eventData, CancellationToken cancellationToken = default)
    {
        Drop(command);
        return Task.CompletedTask;
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
        foreach (var (verb, table, schema) in SqlTables.Written(sql))
        {
            var what = source switch
            {
                CommandSource.ExecuteUpdate => $"ExecuteUpdate on {table}",
                CommandSource.ExecuteDelete => $"ExecuteDelete on {table}",
                _ => $"raw SQL {verb} on {table}",
            };
            foreach (var entity in names?.EntitiesOf(table, schema) ?? [table])
            {
                writes.Add(new TableWrite(entity, null, what, Bulk: true));
            }
        }

        return writes;
    }

    // The tables are found before the command runs, so that its writes are marked as this node's own from before they
    // commit (a database feed then waits for them rather than apply them first).
    private void Begin(DbCommand command, CommandEventData eventData)
    {
        var writes = WritesOf(command.CommandText, eventData.CommandSource, eventData.Context is { } context ? contextNames.Of(context) : null);
        if (writes.Count > 0)
        {
            pending.Begin(command, [.. writes]);
        }
    }

    private async Task OnExecutedAsync(DbCommand command)
    {
        if (pending.End(command, out var marked) is not { } writes)
        {
            return;
        }

        try
        {
            await pending.RouteAsync(command.Transaction, writes, when: null).ConfigureAwait(false);
        }
        finally
        {
            pending.Ended(marked);
        }
    }

    private void Drop(DbCommand command)
    {
        pending.End(command, out var marked);
        pending.Ended(marked);
    }
}
