using Microsoft.Extensions.Options;

namespace Qset.Caching;

/// <summary>The engine's table-version checks: a hit whose tables moved on since its read is dropped and read again.</summary>
public sealed partial class QsetCache
{
    private readonly TableVersions _versions = new();

    /// <summary>Creates the engine over <paramref name="versions"/>, the table versions every entry is checked against.</summary>
    internal QsetCache(StoreSelection selection, CacheRecorder recorder, IOptions<CacheOptions> options, TimeProvider timeProvider, TableVersions versions, Feed.FeedBoard feeds)
        : this(selection.Store, selection.Synchronous, recorder, options, timeProvider, feeds)
    {
        _versions = versions;
        _loads = selection.Loads;
    }

    /// <summary>The per-table version counters.</summary>
    internal TableVersions Versions => _versions;

    private bool IsStale(CacheEntry entry) => !_versions.IsCurrent(entry.StampArray, out _);

    private async ValueTask InvalidateStaleAsync(CacheEntry entry, CancellationToken cancellationToken)
    {
        // Readers that found the same stale entry at once invalidate it once: a second invalidation would also
        // detach the first reader's reload and refuse its populate.
        var held = await Store.GetAsync(entry.Key, cancellationToken).ConfigureAwait(false);
        if (!ReferenceEquals(held, entry))
        {
            return;
        }

        _versions.IsCurrent(entry.StampArray, out var stale);
        var now = _versions.Current(stale.Table, stale.Kind);
        var write = stale.Kind == TableVersionKind.BulkWrite ? "a bulk write" : "a write";
        await InvalidateAsync(entry.Key, entry.EntityType,
            $"stale: {stale.Table} changed by {write} since this entry was read (version {stale.Version}, now {now})",
            cancellationToken).ConfigureAwait(false);
    }
}
