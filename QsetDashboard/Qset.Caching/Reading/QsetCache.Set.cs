namespace Qset.Caching;

/// <summary>Storing a value the caller already has (HybridCache's <c>SetAsync</c>), as a write would: invalidated first, then populated through the guard.</summary>
public sealed partial class QsetCache
{
    /// <summary>
    /// Stores <paramref name="value"/> under <paramref name="key"/> for <paramref name="ttl"/>: the key is invalidated
    /// first (on every node, refusing any read of it under way), then populated with a ticket taken after that, so a
    /// write racing this one wins or loses as whole writes do. Returns false when the store refused it.
    /// </summary>
    internal async ValueTask<bool> SetAsync(string key, string entityType, object value, TimeSpan? ttl, string detail, CancellationToken cancellationToken = default)
    {
        await InvalidateAsync(key, entityType, detail, recordWhenNotHeld: false, cancellationToken).ConfigureAwait(false);
        var ticket = await _store.BeginPopulateAsync(key, cancellationToken).ConfigureAwait(false);
        var entry = CreateEntry(key, entityType, value, ttl, []);
        var result = await _store.TryPopulateAsync(entry, ticket, cancellationToken).ConfigureAwait(false);
        if (result.Stored)
        {
            Stored(entry, ticket, guarded: true);
            _recorder.Record(CacheEventKind.Populate, key, entityType, detail: detail);
        }
        else
        {
            _recorder.Record(CacheEventKind.Reject, key, entityType, detail: result.Reason);
        }

        return result.Stored;
    }
}
