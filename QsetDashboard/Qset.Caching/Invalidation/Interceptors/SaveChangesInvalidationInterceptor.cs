using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.ChangeTracking;
using Microsoft.EntityFrameworkCore.Diagnostics;
using Microsoft.EntityFrameworkCore.Metadata;
using Microsoft.EntityFrameworkCore.Storage;

namespace Qset.Caching.Interceptors;

/// <summary>
/// The EF counterpart of Django's model signals: entities added, modified or deleted through any DbContext
/// invalidate their by-id keys and their table's query results, with no call from the writer. The writes are
/// collected before SaveChanges and applied only once the data is committed.
/// </summary>
internal sealed class SaveChangesInvalidationInterceptor(PendingInvalidations pending, ContextNames contextNames) : SaveChangesInterceptor
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

        var callerInvalidatesKeys = CallerInvalidatedKeys.AreLeftToCaller(context);
        var names = contextNames.Of(context);
        List<TableWrite> writes = [];
        foreach (var entry in context.ChangeTracker.Entries())
        {
            if (entry.State is not (EntityState.Added or EntityState.Modified or EntityState.Deleted))
            {
                continue;
            }

            var table = names.NameOf(entry.Metadata);
            var rowKey = ByIdKey(entry, table);
            var key = callerInvalidatesKeys ? null : rowKey;

            // A row whose key cannot be named (an owned type nested under a collection) makes every by-id entry of its table stale.
            var bulk = !callerInvalidatesKeys && key is null;
            writes.Add(new TableWrite(table, key, $"{table} {Verb(entry)}", bulk, rowKey));
        }

        pending.Begin(context, writes);
    }

    private async Task CompleteAsync(DbContext? context)
    {
        if (context is null)
        {
            return;
        }

        var writes = pending.End(context, out var marked);
        try
        {
            if (writes is { Count: > 0 })
            {
                await pending.RouteAsync(context.Database.CurrentTransaction?.GetDbTransaction(), writes, SaveChangesCommitted).ConfigureAwait(false);
            }
        }
        finally
        {
            pending.Ended(marked);
        }
    }

    private void Drop(DbContext? context)
    {
        if (context is not null)
        {
            pending.End(context, out var marked);
            pending.Ended(marked);
        }
    }

    /// <summary>
    /// The by-id key of the entity <paramref name="entry"/> belongs to: its own primary key, or for an owned type the key
    /// of the entity that owns it (the ownership's foreign key holds the owner's key values). Null when it cannot be named.
    /// </summary>
    private static string? ByIdKey(EntityEntry entry, string table)
    {
        var type = entry.Metadata;
        IReadOnlyList<IProperty> properties;
        if (type.FindOwnership() is { } ownership)
        {
            // Only one level up is known from this entry's own values; a deeper owner's key is a key of the middle type.
            if (ownership.PrincipalEntityType.FindOwnership() is not null)
            {
                return null;
            }

            properties = ownership.Properties;
        }
        else if (type.FindPrimaryKey() is { } primaryKey)
        {
            properties = primaryKey.Properties;
        }
        else
        {
            return null;
        }

        var values = new object[properties.Count];
        for (var i = 0; i < properties.Count; i++)
        {
            var value = entry.State == EntityState.Deleted ? entry.OriginalValues[properties[i]] : entry.CurrentValues[properties[i]];
            if (value is null)
            {
                return null;
            }

            values[i] = value;
        }

        return CacheKeys.For(table, values);
    }

    private static string Verb(EntityEntry entry) => entry.State switch
    {
        _ when entry.Metadata.IsOwned() => "modified",
        EntityState.Added => "added",
        EntityState.Deleted => "deleted",
        _ => "modified",
    };
}
