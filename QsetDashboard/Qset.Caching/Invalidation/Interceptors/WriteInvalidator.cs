using Microsoft.Extensions.Logging;
using Qset.Caching.Queries;

namespace Qset.Caching.Interceptors;

/// <summary>
/// Applies committed writes to the cache: bumps each written table's version first (so a read racing the commit
/// is judged stale), then invalidates the written rows' by-id keys, every held by-id key of a bulk-written table,
/// and the table's cached query results. Each INVALIDATE says why in its detail.
/// </summary>
internal sealed partial class WriteInvalidator(QsetCache cache, StoreSelection store, QueryIndex queries, CacheRecorder recorder, Feed.FeedBoard feeds, ILogger<WriteInvalidator> logger)
{
    /// <summary>The source automatic invalidations carry when the caller set none.</summary>
    public const string AutomaticSource = "ef";

    /// <summary>The source of invalidations the database's change feed makes.</summary>
    public const string DatabaseSource = "database";

    /// <summary>Invalidates what <paramref name="writes"/> made stale; <paramref name="when"/> prefixes each detail (<c>SaveChanges committed</c>).</summary>
    public async Task ApplyAsync(IReadOnlyList<TableWrite> writes, string? when)
    {
        ArgumentNullException.ThrowIfNull(writes);
        if (writes.Count == 0)
        {
            return;
        }

        using var source = CacheContext.Source == CacheContext.DefaultSource ? CacheContext.Use(AutomaticSource) : null;

        // Read before anything is invalidated: every change a feed has up to that head committed before the invalidations.
        var own = await feeds.BeforeOwnWritesAsync(writes).ConfigureAwait(false);
        try
        {
            await InvalidateAsync(writes, when, fromDatabase: false).ConfigureAwait(false);
        }
        finally
        {
            own?.Applied();
        }
    }

    /// <summary>
    /// Invalidates what changes the database's feed saw make stale: as a write of this node does, except that a key or
    /// query result that held nothing is not recorded (this node's own writes come back on the feed too), and the write
    /// waits for no other node (the feed is not anybody's write).
    /// </summary>
    public async Task ApplyFromDatabaseAsync(IReadOnlyList<TableWrite> writes, string when)
    {
        ArgumentNullException.ThrowIfNull(writes);
        if (writes.Count == 0)
        {
            return;
        }

        using var source = CacheContext.Use(DatabaseSource);
        await InvalidateAsync(writes, when, fromDatabase: true).ConfigureAwait(false);
    }

    private async Task InvalidateAsync(IReadOnlyList<TableWrite> writes, string? when, bool fromDatabase)
    {
        var tables = writes.GroupBy(w => w.Table, StringComparer.Ordinal).ToList();
        foreach (var table in tables)
        {
            var bulk = table.Any(w => w.Bulk);
            if (bulk)
            {
                cache.Versions.BumpBulkWrite(table.Key);
            }
            else
            {
                cache.Versions.BumpWrite(table.Key);
            }

            store.TableGenerations.AnnounceTableWrite(table.Key, bulk);
        }

        try
        {
            // Before the write returns: a by-id read of the table on any node that began before it is refused.
            foreach (var table in tables.Where(t => t.Any(w => w.Bulk)))
            {
                await store.TableGenerations.BumpBulkWriteAsync(table.Key).ConfigureAwait(false);
            }

            foreach (var write in writes.Where(w => w.Key is not null).DistinctBy(w => w.Key, StringComparer.Ordinal))
            {
                await cache.InvalidateAsync(write.Key!, write.Table, Detail(when, write.What), recordWhenNotHeld: !fromDatabase).ConfigureAwait(false);
            }

            foreach (var table in tables)
            {
                var first = table.First();
                var count = table.Count();
                var detail = Detail(when, count == 1 ? first.What : $"{first.What} (+{count - 1} more)");
                if (table.Any(w => w.Bulk))
                {
                    await InvalidateHeldByIdKeysAsync(table.Key, detail).ConfigureAwait(false);
                }

                foreach (var key in queries.Take(table.Key))
                {
                    // An evicted or expired result needs no event; one being read now carries the old version and is refused on its next hit.
                    if (await store.Store.GetAsync(key).ConfigureAwait(false) is not null)
                    {
                        await cache.InvalidateAsync(key, QueryKeys.EntityType, detail).ConfigureAwait(false);
                    }
                }
            }

            // The table bumps went out as the write committed: the write returns once every node applied them.
            if (!fromDatabase)
            {
                await store.Confirmations.ConfirmInvalidationsAsync().ConfigureAwait(false);
            }
        }
#pragma warning disable CA1031 // The data is committed: a cache failure must not fail the write. The bumped versions still catch every stale entry.
        catch (Exception ex)
#pragma warning restore CA1031
        {
            recorder.Record(CacheEventKind.Error, string.Join(",", tables.Select(t => t.Key)), null,
                detail: $"automatic invalidation failed after commit ({ex.Message}); entries are still judged stale by table version");
            InvalidationFailed(logger, ex);
        }
    }

    private async Task InvalidateHeldByIdKeysAsync(string table, string detail) =>
        await cache.InvalidateTypeAsync(table, detail).ConfigureAwait(false);

    private static string Detail(string? when, string what) => when is null ? what : $"{when}: {what}";

    [LoggerMessage(EventId = 30, Level = LogLevel.Error, Message = "Automatic cache invalidation failed after a commit")]
    private static partial void InvalidationFailed(ILogger logger, Exception exception);
}
