using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.ChangeTracking;
using Microsoft.EntityFrameworkCore.Diagnostics;
using Microsoft.EntityFrameworkCore.Storage;

namespace QsetDashboard.Caching.Interceptors;

/// <summary>
/// The EF counterpart of Django's model signals: entities added, modified or deleted through any DbContext
/// invalidate their by-id keys and their table's query results, with no call from the writer. The writes are
/// collected before SaveChanges and applied only once the data is committed.
/// </summary>
public sealed class SaveChangesInvalidationInterceptor(PendingInvalidations pending) : SaveChangesInterceptor
{
    /// <summary>The detail prefix of writes applied right after a SaveChanges outside any transaction.</summary>
    public const string SaveChangesCommitted = "SaveChanges committed";

    /// <inheritdoc />
    public override InterceptionResult<int> SavingChanges(DbContextEventData eventData, InterceptionResult<int> result)
    {
        Collect(eventData.Context);
        return result;
    }

    /// <inheritdoc />
    public override ValueTask<InterceptionResult<int>> SavingChangesAsync(
        DbContextEventData eventData, InterceptionResult<int> result, CancellationToken cancellationToken = default)
    {
        Collect(eventData.Context);
        return ValueTask.FromResult(result);
    }

    /// <inheritdoc />
    public override int SavedChanges(SaveChangesCompletedEventData eventData, int result)
    {
        CompleteAsync(eventData.Context).GetAwaiter().GetResult();
        return result;
    }

    /// <inheritdoc />
    public override async ValueTask<int> SavedChangesAsync(
        SaveChangesCompletedEventData eventData, int result, CancellationToken cancellationToken = default)
    {
        await CompleteAsync(eventData.Context).ConfigureAwait(false);
        return result;
    }

    /// <inheritdoc />
    public override void SaveChangesFailed(DbContextErrorEventData eventData) => Drop(eventData.Context);

    /// <inheritdoc />
    public override Task SaveChangesFailedAsync(DbContextErrorEventData eventData, CancellationToken cancellationToken = default)
    {
        Drop(eventData.Context);
        return Task.CompletedTask;
    }

    /// <inheritdoc />
    public override void SaveChangesCanceled(DbContextEventData eventData) => Drop(eventData.Context);

    /// <inheritdoc />
    public override Task SaveChangesCanceledAsync(DbContextEventData eventData, CancellationToken cancellationToken = default)
    {
        Drop(eventData.Context);
        return Task.CompletedTask;
    }

    private void Collect(DbContext? context)
    {
        if (context is null)
        {
            return;
        }

        // The interceptor runs before SaveChanges detects changes: without this, snapshot-tracked edits look Unchanged.
        if (context.ChangeTracker.AutoDetectChangesEnabled)
        {
            context.ChangeTracker.DetectChanges();
        }

        var callerInvalidatesKeys = ExplicitInvalidation.IsActive;
        List<TableWrite> writes = [];
        foreach (var entry in context.ChangeTracker.Entries())
        {
            if (entry.State is not (EntityState.Added or EntityState.Modified or EntityState.Deleted))
            {
                continue;
            }

            var table = entry.Metadata.ClrType.Name;
            var key = callerInvalidatesKeys ? null : ByIdKey(entry, table);
            writes.Add(new TableWrite(table, key, $"{table} {Verb(entry.State)}", Bulk: false));
        }

        pending.BeginSave(context, writes);
    }

    private Task CompleteAsync(DbContext? context)
    {
        if (context is null || pending.EndSave(context) is not { Count: > 0 } writes)
        {
            return Task.CompletedTask;
        }

        return pending.RouteAsync(context.Database.CurrentTransaction?.GetDbTransaction(), writes, SaveChangesCommitted);
    }

    private void Drop(DbContext? context)
    {
        if (context is not null)
        {
            pending.EndSave(context);
        }
    }

    private static string? ByIdKey(EntityEntry entry, string table)
    {
        if (entry.Metadata.FindPrimaryKey() is not { Properties: [var property] })
        {
            return null;
        }

        var id = entry.State == EntityState.Deleted ? entry.OriginalValues[property] : entry.CurrentValues[property];
        return id is null ? null : CacheKeys.For(table, id);
    }

    private static string Verb(EntityState state) => state switch
    {
        EntityState.Added => "added",
        EntityState.Deleted => "deleted",
        _ => "modified",
    };
}
