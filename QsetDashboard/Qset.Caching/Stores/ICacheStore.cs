namespace Qset.Caching;

/// <summary>
/// Where cached values live. Every member is asynchronous so that a network store (Redis, or a memory L1 over a
/// Redis L2) fits behind it without touching a caller; the memory store completes synchronously.
/// </summary>
/// <remarks>
/// The populate guard is part of the contract: <see cref="BeginPopulateAsync"/> is called before the database
/// read, and <see cref="TryPopulateAsync"/> must refuse to store when the key was invalidated in between.
/// A distributed store keeps the same promise with a per-key generation checked in one atomic script.
/// </remarks>
public interface ICacheStore
{
    /// <summary>The store's name for the dashboard (<c>Memory</c>).</summary>
    string Name { get; }

    /// <summary>The most entries the store holds.</summary>
    int Capacity { get; }

    /// <summary>The orders <see cref="ListPageAsync"/> can follow; any other is refused with <see cref="NotSupportedException"/>.</summary>
    IReadOnlyList<CacheOrder> Orders => [CacheOrder.Key];

    /// <summary>How many entries the store holds now (a distributed store: as of its latest <see cref="CountAsync"/>).</summary>
    int Count { get; }

    /// <summary>How many entries the store holds, exactly, asked now; never a listing of the store.</summary>
    ValueTask<int> CountAsync(CancellationToken cancellationToken = default) => new(Count);

    /// <summary>
    /// How many entries each entity type has, and how many cached query results read each table, from indexes the store
    /// keeps (never a listing); null for a store that keeps none.
    /// </summary>
    ValueTask<CacheNamespaceCounts?> CountNamespacesAsync(CancellationToken cancellationToken = default) => new((CacheNamespaceCounts?)null);

    /// <summary>The entry under <paramref name="key"/>, or null.</summary>
    ValueTask<CacheEntry?> GetAsync(string key, CancellationToken cancellationToken = default);

    /// <summary>Takes the ticket a later <see cref="TryPopulateAsync"/> of <paramref name="key"/> is checked against.</summary>
    ValueTask<PopulateTicket> BeginPopulateAsync(string key, CancellationToken cancellationToken = default);

    /// <summary>
    /// The entry under <paramref name="key"/> (or null) and, when the caller will read the database next, the ticket
    /// <see cref="BeginPopulateAsync"/> would take, read together: a network store answers both in one round trip
    /// where the two calls take two. A null ticket means none was taken: call <see cref="BeginPopulateAsync"/>.
    /// </summary>
    /// <remarks>A ticket taken with the read is taken before the database read begins, as the guard requires.</remarks>
    async ValueTask<(CacheEntry? Entry, PopulateTicket? Ticket)> GetForPopulateAsync(string key, CancellationToken cancellationToken = default)
    {
        var entry = await GetAsync(key, cancellationToken).ConfigureAwait(false);
        return (entry, entry is null ? await BeginPopulateAsync(key, cancellationToken).ConfigureAwait(false) : null);
    }

    /// <summary>Stores <paramref name="entry"/> unless its key was invalidated since <paramref name="ticket"/> was taken.</summary>
    ValueTask<PopulateResult> TryPopulateAsync(CacheEntry entry, PopulateTicket ticket, CancellationToken cancellationToken = default);

    /// <summary>
    /// Removes <paramref name="key"/> and refuses every populate of it that began before now. True when it held the key,
    /// or cannot tell (an invalidation a network store defers while it is unreachable).
    /// </summary>
    ValueTask<bool> InvalidateAsync(string key, CancellationToken cancellationToken = default);

    /// <summary>
    /// Removes every entry, as an invalidation of each, without listing the values; returns how many it removed and,
    /// up to a store's own bound (at least 100), the key and entity type of each.
    /// </summary>
    ValueTask<CacheClear> ClearAsync(CancellationToken cancellationToken = default);

    /// <summary>
    /// A snapshot of every live entry, sorted by key. It costs the whole store (on Redis, a SCAN and a read of every
    /// value): for tests and tools, never a request path; a page of entries is <see cref="ListPageAsync"/>.
    /// </summary>
    ValueTask<IReadOnlyList<CacheEntry>> ListAsync(CancellationToken cancellationToken = default);

    /// <summary>
    /// The live entry under <paramref name="key"/>, or null, with no side effect: no recency mark, no sliding-TTL
    /// touch, no copy from one level to another, no event. For looking, not for serving.
    /// </summary>
    ValueTask<CacheEntry?> PeekAsync(string key, CancellationToken cancellationToken = default);

    /// <summary>
    /// One page of the live entries that match <paramref name="query"/>, and the cursor of the next page while more
    /// may follow. The work is bounded by the page (and, with a text filter, by a scan budget), never by the store.
    /// </summary>
    /// <exception cref="ArgumentException">The cursor is not one this store gave.</exception>
    ValueTask<CachePage> ListPageAsync(CacheListQuery query, CancellationToken cancellationToken = default);

    /// <summary>
    /// The keys held whose entity type is <paramref name="entityType"/>: what a bulk write of that table touches. The
    /// memory store answers from an index by type, without listing the store.
    /// </summary>
    ValueTask<IReadOnlyList<string>> KeysOfTypeAsync(string entityType, CancellationToken cancellationToken = default);

    /// <summary>
    /// Invalidates every key held of <paramref name="entityType"/> (a write to its table whose rows cannot be named),
    /// as <see cref="InvalidateAsync"/> would one by one, and returns the keys whose entry it dropped. A store that can
    /// do it in fewer round trips (Redis: a thousand keys a call) does; this default lists them and invalidates each.
    /// </summary>
    async ValueTask<IReadOnlyList<string>> InvalidateTypeAsync(string entityType, CancellationToken cancellationToken = default)
    {
        List<string> dropped = [];
        foreach (var key in await KeysOfTypeAsync(entityType, cancellationToken).ConfigureAwait(false))
        {
            if (await InvalidateAsync(key, cancellationToken).ConfigureAwait(false))
            {
                dropped.Add(key);
            }
        }

        return dropped;
    }
}

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

/// <summary>Proof of when a populate's database read began, in the store's invalidation order.</summary>
/// <param name="Key">The key the populate is for.</param>
/// <param name="Stamp">The store's invalidation clock when the read began.</param>
/// <param name="Guarded">False only where the race lab turns the guard off for one read, to show the race.</param>
/// <param name="NearStamp">A two-level store's L1 stamp, checked as well as <paramref name="Stamp"/>.</param>
/// <param name="TableGeneration">A distributed store's bulk-write generation of the key's table when the read began (-1: none).</param>
/// <param name="Epoch">A distributed store's flush epoch when the read began (-1: none).</param>
public readonly record struct PopulateTicket(string Key, long Stamp, bool Guarded = true, long NearStamp = 0, long TableGeneration = -1, long Epoch = -1);

/// <summary>
/// A store shared by several nodes keeps each table's bulk-write generation itself, so that a write whose rows cannot
/// be named (ExecuteUpdate, ExecuteDelete, raw SQL) on one node refuses every by-id populate of that table that began
/// before it on any node.
/// </summary>
internal interface ISharedTableGenerations
{
    /// <summary>Bumps <paramref name="table"/>'s bulk-write generation; called after commit, before the write returns.</summary>
    ValueTask BumpBulkWriteAsync(string table, CancellationToken cancellationToken = default);
}

/// <summary>
/// A store whose nodes each keep a copy (a Hybrid L1) returns from a write only once every node has applied the
/// write's invalidations; the write path calls this after it has sent them all.
/// </summary>
internal interface IConfirmsInvalidations
{
    /// <summary>Returns once every node has applied every invalidation this node sent before the call.</summary>
    ValueTask ConfirmInvalidationsAsync(CancellationToken cancellationToken = default);
}

/// <summary>A store that can be degraded (a network store that is down) says so, for /health and the dashboard.</summary>
public interface IReportsHealth
{
    /// <summary>True while the store is not answering and reads go to the database.</summary>
    bool IsDegraded { get; }

    /// <summary>A sentence on the store's state.</summary>
    string HealthDescription { get; }
}

/// <summary>Whether a populate stored its value, and if not, why.</summary>
public readonly record struct PopulateResult(bool Stored, string? Reason, string? ReplacedEntityType)
{
    /// <summary>The value was stored.</summary>
    public static PopulateResult StoredOver(string? replacedEntityType) => new(true, null, replacedEntityType);

    /// <summary>The value was refused.</summary>
    public static PopulateResult Rejected(string reason) => new(false, reason, null);
}

/// <summary>An entry a store removed: its key and entity type (what the INVALIDATE event of a flush names).</summary>
public readonly record struct RemovedEntry(string Key, string EntityType);

/// <summary>What a flush removed.</summary>
/// <param name="Count">How many entries it removed.</param>
/// <param name="Entries">
/// Each entry removed, when the store names them: every store does for up to 100 entries; past that a store may name
/// none (Redis: a flush is one call that counts what it removed and never walks it), and the flush is then recorded as
/// one event counting them.
/// </param>
public sealed record CacheClear(int Count, IReadOnlyList<RemovedEntry> Entries)
{
    /// <summary>True when <see cref="Entries"/> names every entry removed.</summary>
    public bool Named => Entries.Count == Count;
}
