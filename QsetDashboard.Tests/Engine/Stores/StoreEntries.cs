using Qset.Caching;

namespace QsetDashboard.Tests.Engine.Stores;

/// <summary>
/// Entries made by hand, for tests that drive a store directly (no read, no database row): books under
/// <c>Book.{id}</c>, shelves under <c>Shelf.{n}</c>, or any value under a key of the test's choosing.
/// </summary>
internal static class StoreEntries
{
    /// <summary>
    /// Book <paramref name="id"/> titled <paramref name="title"/>, expiring at <paramref name="expires"/> (in five minutes
    /// by default), under <c>{entityType}.{id}</c>: <c>LibraryDb:Book</c> makes the entry EntityCache holds of the book.
    /// </summary>
    public static CacheEntry Book(int id, string title, DateTimeOffset? expires = null, string entityType = "Book") =>
        Of($"{entityType}.{id}", entityType, new Book { Id = id, Title = title }, expires);

    /// <summary>Shelf number <paramref name="n"/> (its Guid made from it) named <paramref name="name"/>.</summary>
    public static CacheEntry Shelf(int n, string name, DateTimeOffset? expires = null) =>
        Of($"Shelf.{n}", "Shelf", new Shelf { Id = new Guid(n, 0, 0, new byte[8]), Name = name }, expires);

    /// <summary><paramref name="value"/> under <paramref name="key"/>, as a value of <paramref name="entityType"/>.</summary>
    public static CacheEntry Of(string key, string entityType, object value, DateTimeOffset? expires = null)
    {
        var now = DateTimeOffset.UtcNow;
        return new CacheEntry(key, entityType, value, CacheJson.Serialize(value), now, TimeProvider.System.GetTimestamp(), expires ?? now.AddMinutes(5), null);
    }

    /// <summary>Populates <paramref name="entry"/> with a ticket taken just before: nothing invalidated it meanwhile.</summary>
    public static async Task<PopulateResult> PopulateAsync(this ICacheStore store, CacheEntry entry) =>
        await store.TryPopulateAsync(entry, await store.BeginPopulateAsync(entry.Key));
}
