namespace Qset.Caching;

/// <summary>Entries per entity type (<c>Query</c> among them), and cached query results per table they read.</summary>
/// <param name="ByType">Entries per entity type.</param>
/// <param name="QueriesByTable">Cached query results per table; a result that reads two tables counts in both.</param>
public sealed record CacheNamespaceCounts(IReadOnlyDictionary<string, int> ByType, IReadOnlyDictionary<string, int> QueriesByTable);

/// <summary>What one page of a store's listing asks for.</summary>
/// <param name="Limit">The most entries on the page.</param>
/// <param name="Cursor">Where the previous page ended (from <see cref="CachePage.NextCursor"/>), or null for the first page.</param>
/// <param name="Text">Only keys containing this text, case-insensitively; null for all.</param>
/// <param name="EntityType">Only entries of this entity type (<c>User</c>, <c>Query</c>); null for all.</param>
/// <param name="Order">The order of the listing; a store that keeps no such order refuses it with <see cref="NotSupportedException"/>.</param>
public sealed record CacheListQuery(int Limit = 100, string? Cursor = null, string? Text = null, string? EntityType = null, CacheOrder Order = CacheOrder.Key);

/// <summary>The orders a listing can follow.</summary>
public enum CacheOrder
{
    /// <summary>By key, ordinal (the memory store); a Redis store's own hash order.</summary>
    Key,

    /// <summary>The most recently stored first (the memory store).</summary>
    Newest,

    /// <summary>The longest stored first (the memory store).</summary>
    Oldest,

    /// <summary>
    /// The soonest to expire first (a sliding entry by its absolute cap); the memory store builds this order when
    /// first asked for and keeps it while it is used, Redis keeps it always.
    /// </summary>
    Ttl,

    /// <summary>
    /// The largest value first, in UTF-8 bytes of its JSON; the memory store builds this order when first asked for
    /// and keeps it while it is used, Redis keeps it always.
    /// </summary>
    Size,
}

/// <summary>A page of a store's listing.</summary>
/// <param name="Entries">The page's entries.</param>
/// <param name="NextCursor">The cursor of the next page, or null when this page is the last.</param>
public sealed record CachePage(IReadOnlyList<CacheEntry> Entries, string? NextCursor);
