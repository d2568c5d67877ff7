namespace Qset.Caching;

/// <summary>
/// Where cached values live, as the engine serves from them: read, populate under the guard, invalidate, flush.
/// Every member is asynchronous so that a network store (Redis, or a memory L1 over a Redis L2) fits behind it.
/// </summary>
/// <remarks>
/// The populate guard is part of the contract: <see cref="BeginPopulateAsync"/> is called before the database read,
/// and <see cref="TryPopulateAsync"/> must refuse to store when the key was invalidated in between. Looking at what a
/// store holds (pages, counts, a peek) is <see cref="ICacheBrowser"/>'s job, not this one's.
/// </remarks>
public interface ICacheStore
{
    /// <summary>The store's name for the dashboard (<c>Memory</c>).</summary>
    string Name { get; }

    /// <summary>The most entries the store holds.</summary>
    int Capacity { get; }

    /// <summary>How many entries the store holds now (a distributed store: as of its latest exact count).</summary>
    int Count { get; }

    /// <summary>The entry under <paramref name="key"/>, or null.</summary>
    ValueTask<CacheEntry?> GetAsync(string key, CancellationToken cancellationToken = default);

    /// <summary>Takes the ticket a later <see cref="TryPopulateAsync"/> of <paramref name="key"/> is checked against.</summary>
    ValueTask<PopulateTicket> BeginPopulateAsync(string key, CancellationToken cancellationToken = default);

    /// <summary>
    /// The entry under <paramref name="key"/> (or null) and, when it is null, the ticket <see cref="BeginPopulateAsync"/>
    /// would take, read together: a network store answers both in one round trip. A null ticket means none was taken.
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
    /// The keys held whose entity type is <paramref name="entityType"/>: what a bulk write of that table touches,
    /// answered from an index by type, never a listing of the store.
    /// </summary>
    ValueTask<IReadOnlyList<string>> KeysOfTypeAsync(string entityType, CancellationToken cancellationToken = default);

    /// <summary>
    /// Invalidates every key held of <paramref name="entityType"/> (a write to its table whose rows cannot be named),
    /// as <see cref="InvalidateAsync"/> would one by one, and returns the keys whose entry it dropped. A store that can
    /// do it in fewer round trips does; this default lists them and invalidates each.
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
