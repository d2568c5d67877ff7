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
    // Rows added with a key the database gives them (EF holds a temporary one until the save): named once it has.
    private readonly System.Runtime.CompilerServices.ConditionalWeakTable<DbContext, List<(int Index, EntityEntry Entry, string Table, bool CallerInvalidates)>> _generated = new();

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
        List<(int Index, EntityEntry Entry, string Table, bool CallerInvalidates)>? generated = null;
        foreach (var entry in context.ChangeTracker.Entries())
        {
            if (entry.State is not (EntityState.Added or EntityState.Modified or EntityState.Deleted))
            {
                continue;
            }

            var table = names.NameOf(entry.Metadata);
            var properties = KeyProperties(entry);
            var rowKey = ByIdKey(entry, table, properties);
            var key = callerInvalidatesKeys ? null : rowKey;
            if (entry.State == EntityState.Added && properties is not null && properties.Any(p => entry.Property(p).IsTemporary))
            {
                // Named after the save, when the database has given the row its key; before it, EF's is a placeholder.
                generated ??= [];
                generated.Add((writes.Count, entry, table, callerInvalidatesKeys));
            }

            // A row whose key cannot be named (an owned type nested under a collection) makes every by-id entry of its table stale.
            var bulk = !callerInvalidatesKeys && key is null;
            writes.Add(new TableWrite(table, key, $"{table} {Verb(entry)}", bulk, rowKey));
        }

        if (generated is null)
        {
            _generated.Remove(context);
        }
        else
        {
            _generated.AddOrUpdate(context, generated);
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
        if (writes is not null && _generated.TryGetValue(context, out var generated))
        {
            _generated.Remove(context);
            foreach (var (index, entry, table, callerInvalidates) in generated)
            {
                var rowKey = ByIdKey(entry, table, KeyProperties(entry));
                var key = callerInvalidates ? null : rowKey;
                writes[index] = writes[index] with { Key = key, RowKey = rowKey, Bulk = !callerInvalidates && key is null };
            }
        }

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
            _generated.Remove(context);
            pending.End(context, out var marked);
            pending.Ended(marked);
        }
    }

    /// <summary>
    /// The by-id key of the entity <paramref name="entry"/> belongs to, from the values of its <see cref="KeyProperties"/>
    /// <paramref name="properties"/>: its own primary key, or for an owned type the key of the entity that owns it (the
    /// ownership's foreign key holds the owner's key values). Null when it cannot be named.
    /// </summary>
    private static string? ByIdKey(EntityEntry entry, string table, IReadOnlyList<IProperty>? properties)
    {
        if (properties is null)
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

    /// <summary>The properties whose values name <paramref name="entry"/>'s by-id key (see <see cref="ByIdKey"/>); null when none do.</summary>
    private static IReadOnlyList<IProperty>? KeyProperties(EntityEntry entry)
    {
        var type = entry.Metadata;
        if (type.FindOwnership() is { } ownership)
        {
            // Only one level up is known from this entry's own values; a deeper owner's key is a key of the middle type.
            return ownership.PrincipalEntityType.FindOwnership() is null ? ownership.Properties : null;
        }

        return type.FindPrimaryKey()?.Properties;
    }

    private static string Verb(EntityEntry entry) => entry.State switch
    {
        _ when entry.Metadata.IsOwned() => "modified",
        EntityState.Added => "added",
        EntityState.Deleted => "deleted",
        _ => "modified",
    };
}
