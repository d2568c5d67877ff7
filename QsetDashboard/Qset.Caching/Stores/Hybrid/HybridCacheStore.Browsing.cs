using Qset.Caching.Queries;
using Qset.Caching.Redis;

namespace Qset.Caching.Hybrid;

/// <summary>The Hybrid store, as the dashboard browses it: the shared L2 with this node's L1-only query results.</summary>
internal sealed partial class HybridCacheStore
{
    /// <inheritdoc />
    /// <remarks>The shared L2's entries then this node's query results, each by key, by TTL or by size.</remarks>
    public IReadOnlyList<CacheOrder> Orders { get; } = [CacheOrder.Key, CacheOrder.Ttl, CacheOrder.Size];

    /// <inheritdoc />
    /// <remarks>What the listing shows: every entry in Redis (exact), and this node's cached query results, which live in L1 only.</remarks>
    public async ValueTask<int> CountAsync(CancellationToken cancellationToken = default) =>
        await _far.CountAsync(cancellationToken).ConfigureAwait(false) + NearOnlyCount;

    /// <summary>How many of this node's query results L1 holds (they live in L1 only).</summary>
    private int NearOnlyCount => _near.CountByType().GetValueOrDefault(QueryKeys.EntityType);

    /// <inheritdoc />
    /// <remarks>The shared L2, which is what every node can serve, and this node's query results.</remarks>
    public async ValueTask<IReadOnlyList<CacheEntry>> ListAsync(CancellationToken cancellationToken = default)
    {
        var far = await _far.ListAsync(cancellationToken).ConfigureAwait(false);
        var queries = (await _near.ListAsync(cancellationToken).ConfigureAwait(false)).Where(e => IsNearOnly(e.Key));
        return [.. far.Concat(queries).OrderBy(e => e.Key, StringComparer.Ordinal)];
    }

    /// <inheritdoc />
    /// <remarks>This node's L1 first, then the shared L2; nothing is copied between them.</remarks>
    public async ValueTask<CacheEntry?> PeekAsync(string key, CancellationToken cancellationToken = default) =>
        await _near.PeekAsync(key, cancellationToken).ConfigureAwait(false)
        ?? (IsNearOnly(key) ? null : await _far.PeekAsync(key, cancellationToken).ConfigureAwait(false));

    /// <inheritdoc />
    /// <remarks>
    /// The shared L2's pages (cursor <c>f…</c>), then this node's query results, which live in L1 only (cursor <c>n…</c>).
    /// </remarks>
    public async ValueTask<CachePage> ListPageAsync(CacheListQuery query, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(query);
        if (!Orders.Contains(query.Order))
        {
            throw new NotSupportedException($"The Hybrid store lists its keys by key (in Redis's own hash order), by TTL or by size, not by '{query.Order}'.");
        }

        var queriesOnly = query.EntityType == QueryKeys.EntityType;
        var cursor = query.Cursor;
        if (!queriesOnly && (cursor is null || cursor.StartsWith('f')))
        {
            var far = await _far.ListPageAsync(query with { Cursor = cursor?[1..] }, cancellationToken).ConfigureAwait(false);
            if (far.NextCursor is not null)
            {
                return far with { NextCursor = "f" + far.NextCursor };
            }

            // Asked in key order (the L1's index by type, O(log n)), whatever the listing's order: a page that comes
            // back short with a cursor (a text filter's scan budget) may still have query results after it.
            var probe = query.EntityType is null
                ? await _near.ListPageAsync(query with { Limit = 1, Cursor = null, EntityType = QueryKeys.EntityType, Order = CacheOrder.Key }, cancellationToken).ConfigureAwait(false)
                : null;
            var queriesFollow = probe is not null && (probe.Entries.Count > 0 || probe.NextCursor is not null);
            return far with { NextCursor = queriesFollow ? "n" : null };
        }

        if (cursor is not null && !cursor.StartsWith('n'))
        {
            throw new ArgumentException("The cursor was not made by the Hybrid store.", nameof(query));
        }

        var near = await _near.ListPageAsync(
            query with { Cursor = cursor is { Length: > 1 } ? cursor[1..] : null, EntityType = QueryKeys.EntityType }, cancellationToken).ConfigureAwait(false);
        return near with { NextCursor = near.NextCursor is null ? null : "n" + near.NextCursor };
    }

    /// <inheritdoc />
    /// <remarks>Entity types from Redis (exact, shared); cached query results from this node's L1, where they live.</remarks>
    public async ValueTask<CacheNamespaceCounts?> CountNamespacesAsync(CancellationToken cancellationToken = default)
    {
        var byType = new Dictionary<string, int>(await _far.CountByTypeAsync(cancellationToken).ConfigureAwait(false), StringComparer.Ordinal);
        if (_near.CountByType().TryGetValue(QueryKeys.EntityType, out var queries))
        {
            byType[QueryKeys.EntityType] = queries;
        }

        return new CacheNamespaceCounts(byType, _near.CountQueriesByTable());
    }
}
