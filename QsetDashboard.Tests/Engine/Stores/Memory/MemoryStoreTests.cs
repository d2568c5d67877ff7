using Microsoft.Extensions.Time.Testing;
using Qset.Caching;
using QsetDashboard.Tests.Infrastructure;

namespace QsetDashboard.Tests.Engine.Stores.Memory;

public sealed class MemoryStoreTests
{
    [Fact]
    public async Task Capacity_The101stEntryEvictsTheOldestEntryNotReadSince_AndTheStoreNeverExceedsIt()
    {
        await using var host = await EngineOnlyHost.StartAsync(s => s["Qset:Capacity"] = "100");
        for (var id = 1; id <= 101; id++)
        {
            await host.AddBookAsync(id, $"b{id}");
        }

        for (var id = 1; id <= 100; id++)
        {
            await host.Entities.FindAsync<Book>(id);
            Assert.True(host.Cache.Store.Count <= 100);
        }

        await host.Entities.FindAsync<Book>(1);  // book 1 is now the most recently read; book 2 the least
        await host.Entities.FindAsync<Book>(101);

        Assert.Equal(100, host.Cache.Store.Count);
        var keys = (await host.Cache.Store.ListAsync()).Select(e => e.Key).ToHashSet();
        Assert.DoesNotContain("LibraryDb:Book.2", keys);
        Assert.Contains("LibraryDb:Book.1", keys);
        Assert.Contains("LibraryDb:Book.101", keys);
        await Eventually.TrueAsync(() => host.Events().Any(e => e.Kind == CacheEventKind.Evict), "the eviction callback reports EVICT");
        var evict = Assert.Single(host.Events(), e => e.Kind == CacheEventKind.Evict);
        Assert.Equal("LibraryDb:Book.2", evict.Key);
        Assert.Contains("capacity of 100", evict.Detail, StringComparison.Ordinal);
        Assert.Equal(1, host.Cache.GetStats().Evictions);
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task AClearOfManyEntries_CountsThemWithoutNamingEach_AndMemoryCacheLetsGoOfEveryValue(bool valuesInMemoryCache)
    {
        // A million named entries were a list of a million, garbage as soon as the flush became one event.
        const int Entries = 5_000;
        await using var host = await EngineOnlyHost.StartAsync(s =>
        {
            s["Qset:Capacity"] = "10000";
            s["Qset:ValuesInMemoryCache"] = valuesInMemoryCache ? "true" : "false";
        });
        var store = (MemoryCacheStore)host.Cache.Store;
        int? copies(int n) => valuesInMemoryCache ? n : null;
        for (var id = 1; id <= Entries; id++)
        {
            await ReadAsync(host, id, "n");
        }

        Assert.Equal(copies(Entries), store.MemoryCacheCount);

        var cleared = await store.ClearAsync();

        Assert.Equal((Entries, 0), (cleared.Count, cleared.Entries.Count));
        Assert.Equal((0, copies(0)), (store.Count, store.MemoryCacheCount));
        await ReadAsync(host, 1, "again");
        Assert.Equal((1, copies(1)), (store.Count, store.MemoryCacheCount));
        Assert.Equal("again", (await host.GetBookAsync("Book.1", 1)).Value!.Title);
    }

    [Theory]
    [InlineData(CacheOrder.Key)]
    [InlineData(CacheOrder.Newest)]
    [InlineData(CacheOrder.Oldest)]
    [InlineData(CacheOrder.Ttl)]
    [InlineData(CacheOrder.Size)]
    public async Task AClearOfMany_LeavesEachOrderWithOnlyWhatCameAfter_EvictsAmongThose_AndUnchainsWhatItDropped(CacheOrder order)
    {
        // A clear replaces the index, the orders and the MemoryCache at once, and unchains the old eviction order after,
        // off the lock: nothing of what it dropped may come back through an order, and an old entry still held by
        // someone (a page on screen) must not keep the others alive through its links.
        const int Capacity = 5_000;
        await using var host = await EngineOnlyHost.StartAsync(s => s["Qset:Capacity"] = $"{Capacity}");
        var store = (MemoryCacheStore)host.Cache.Store;
        var expires = DateTimeOffset.UtcNow.AddHours(1);
        for (var id = 1; id <= Capacity; id++)
        {
            var entry = BookEntry(id, "old", expires.AddSeconds(id % 600));
            await store.TryPopulateAsync(entry, await store.BeginPopulateAsync(entry.Key));
        }

        Assert.Equal(10, (await store.ListPageAsync(new CacheListQuery(10, Order: order))).Entries.Count);
        var kept = await store.GetAsync("Book.2500");
        Assert.NotNull(kept);

        Assert.Equal(Capacity, (await store.ClearAsync()).Count);
        for (var id = 1; id <= Capacity + 1; id++)
        {
            var entry = BookEntry(id, "new", expires.AddSeconds(id % 600));
            await store.TryPopulateAsync(entry, await store.BeginPopulateAsync(entry.Key));
        }

        List<CacheEntry> listed = [];
        for (var page = await store.ListPageAsync(new CacheListQuery(1_000, Order: order)); ; page = await store.ListPageAsync(new CacheListQuery(1_000, page.NextCursor, Order: order)))
        {
            listed.AddRange(page.Entries);
            if (page.NextCursor is null)
            {
                break;
            }
        }

        Assert.Equal((Capacity, Capacity), (store.Count, listed.Count));
        Assert.All(listed, e => Assert.Equal("new", ((Book)e.Value!).Title));
        Assert.Equal(Capacity, listed.Select(e => e.Key).Distinct().Count());
        var evict = Assert.Single(host.Events(), e => e.Kind == CacheEventKind.Evict);
        Assert.Equal("Book.1", evict.Key);
        await Eventually.TrueAsync(() => kept.Newer is null && kept.Older is null && !kept.Linked, "the dropped entry is unchained");
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task AClearOfAFew_NamesEachEntry_WithOrWithoutMemoryCache(bool valuesInMemoryCache)
    {
        await using var host = await EngineOnlyHost.StartAsync(s => s["Qset:ValuesInMemoryCache"] = valuesInMemoryCache ? "true" : "false");
        var store = (MemoryCacheStore)host.Cache.Store;
        for (var id = 1; id <= 3; id++)
        {
            await ReadAsync(host, id, "n");
        }

        var cleared = await store.ClearAsync();

        Assert.Equal(["Book.1", "Book.2", "Book.3"], cleared.Entries.Select(e => e.Key).Order(StringComparer.Ordinal));
        Assert.Equal(0, store.Count);
    }

    [Fact]
    public async Task QueriesPerTable_AreCountedAsResultsComeAndGo()
    {
        await using var host = await EngineOnlyHost.StartAsync();
        var store = (MemoryCacheStore)host.Cache.Store;
        foreach (var key in new[] { "Query.LibraryDb:Book+LibraryDb:Shelf.aa", "Query.LibraryDb:Book.bb", "Query.none.cc" })
        {
            await host.Cache.GetAsync<string, string>(key, key, static (k, _) => Task.FromResult<string?>(k),
                new CacheReadPolicy(Qset.Caching.Queries.QueryKeys.EntityType, []));
        }

        Assert.Equal(new Dictionary<string, int> { ["LibraryDb:Book"] = 2, ["LibraryDb:Shelf"] = 1 }, store.CountQueriesByTable());

        await host.Cache.InvalidateAsync("Query.LibraryDb:Book+LibraryDb:Shelf.aa", "Query");
        Assert.Equal(new Dictionary<string, int> { ["LibraryDb:Book"] = 1 }, store.CountQueriesByTable());

        await host.Cache.FlushAsync();
        Assert.Empty(store.CountQueriesByTable());
    }

    [Fact]
    public async Task Ttl_EntryExpiresAtItsTtl_WithAnExpireEvent()
    {
        var time = new FakeTimeProvider(new DateTimeOffset(2026, 11, 23, 12, 0, 0, TimeSpan.Zero));
        await using var host = await EngineOnlyHost.StartAsync(s => s["Qset:DefaultTtl"] = "00:01:00", time);
        await host.AddBookAsync(1, "Dune");
        await host.Entities.FindAsync<Book>(1);

        time.Advance(TimeSpan.FromSeconds(59));
        Assert.True((await host.Entities.ReadAsync<Book>([1])).Hit);

        time.Advance(TimeSpan.FromSeconds(2));

        await Eventually.TrueAsync(() => host.Events().Any(e => e.Kind == CacheEventKind.Expire), "the expiry scan reports EXPIRE");
        var expire = Assert.Single(host.Events(), e => e.Kind == CacheEventKind.Expire);
        Assert.Equal("LibraryDb:Book.1", expire.Key);
        Assert.Contains("absolute TTL", expire.Detail, StringComparison.Ordinal);
        Assert.Equal(0, host.Cache.Store.Count);
        Assert.False((await host.Entities.ReadAsync<Book>([1])).Hit);
    }

    [Fact]
    public async Task ReadOfAnExpiredEntry_RemovesItAtOnce_WithItsExpire_BeforeAnyScan()
    {
        var time = new FakeTimeProvider(new DateTimeOffset(2026, 11, 23, 12, 0, 0, TimeSpan.Zero));
        await using var host = await EngineOnlyHost.StartAsync(s =>
        {
            s["Qset:DefaultTtl"] = "00:01:00";
            s["Qset:ExpirationScanInterval"] = "00:10:00";
        }, time);
        await host.AddBookAsync(1, "Dune");
        await host.Entities.FindAsync<Book>(1);

        time.Advance(TimeSpan.FromSeconds(61));
        Assert.Equal(1, host.Cache.Store.Count);

        Assert.Null(await host.Cache.Store.GetAsync("LibraryDb:Book.1"));
        Assert.Equal(0, host.Cache.Store.Count);
        var expire = Assert.Single(host.Events(), e => e.Kind == CacheEventKind.Expire);
        Assert.Equal("LibraryDb:Book.1", expire.Key);
        Assert.Null(await host.Cache.Store.GetAsync("LibraryDb:Book.1"));
        Assert.Single(host.Events(), e => e.Kind == CacheEventKind.Expire);
    }

    [Fact]
    public async Task ExpiryScan_LooksAtATenthOfABigStoreATick_GoingOnWhereItStopped_UntilEveryExpiredEntryIsGone()
    {
        var time = new FakeTimeProvider(new DateTimeOffset(2026, 11, 23, 12, 0, 0, TimeSpan.Zero));
        await using var host = await EngineOnlyHost.StartAsync(s =>
        {
            s["Qset:Capacity"] = "100000";
            s["Qset:DefaultTtl"] = "00:01:00";
            s["Qset:ExpirationScanInterval"] = "00:10:00";
        }, time);
        var store = (MemoryCacheStore)host.Cache.Store;
        for (var id = 1; id <= 40_000; id++)
        {
            var expires = time.GetUtcNow().AddMinutes(id <= 20_000 ? 1 : 5);
            var entry = BookEntry(id, "u", expires);
            await store.TryPopulateAsync(entry, await store.BeginPopulateAsync(entry.Key));
        }

        time.Advance(TimeSpan.FromSeconds(61));

        // A tick looks at 32,768 entries (more than a tenth of 40,000): the 20,000 expired ones are among them.
        store.ScanForExpired();
        Assert.Equal(20_000, store.Count);
        Assert.Equal(20_000, host.Cache.GetStats().Expirations);

        // All expired now. The next tick goes on where the last stopped: only the pass's last 7,232 entries.
        time.Advance(TimeSpan.FromMinutes(4));
        store.ScanForExpired();
        Assert.Equal(20_000 - 7_232, store.Count);

        // The pass ended: the next starts again at the oldest.
        store.ScanForExpired();
        Assert.Equal(0, store.Count);
        Assert.Equal(40_000, host.Cache.GetStats().Expirations);
    }

    [Fact]
    public async Task SlidingTtl_ReadsKeepTheEntry_IdlenessExpiresIt()
    {
        var time = new FakeTimeProvider(new DateTimeOffset(2026, 11, 23, 12, 0, 0, TimeSpan.Zero));
        await using var host = await EngineOnlyHost.StartAsync(s =>
        {
            s["Qset:DefaultTtl"] = "00:10:00";
            s["Qset:SlidingTtl"] = "00:00:30";
        }, time);
        await host.AddBookAsync(1, "Dune");
        await host.Entities.FindAsync<Book>(1);

        for (var i = 0; i < 4; i++)
        {
            time.Advance(TimeSpan.FromSeconds(20));
            Assert.True((await host.Entities.ReadAsync<Book>([1])).Hit);
        }

        var entry = Assert.Single(await host.Cache.Store.ListAsync());
        Assert.Equal(time.GetUtcNow() + TimeSpan.FromSeconds(30), entry.ExpiresAt(time));

        time.Advance(TimeSpan.FromSeconds(31));

        await Eventually.TrueAsync(() => host.Events().Any(e => e.Kind == CacheEventKind.Expire), "the sliding TTL runs out");
        Assert.Contains("sliding TTL", host.Events().Single(e => e.Kind == CacheEventKind.Expire).Detail, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(CacheOrder.Ttl)]
    [InlineData(CacheOrder.Size)]
    public async Task OrderKeptOnDemand_IsBuiltOverManyChunks_KeptThroughEvictions_AndListsExactlyTheHeldKeysInOrder(CacheOrder order)
    {
        await using var host = await EngineOnlyHost.StartAsync(s => s["Qset:Capacity"] = "6000");
        var store = (MemoryCacheStore)host.Cache.Store;
        var now = DateTimeOffset.UtcNow;
        for (var id = 1; id <= 9_000; id++)
        {
            if (id == 5_000)
            {
                // Asked for while the store holds more keys than one chunk of the build; kept through what follows.
                Assert.False(store.Keeps(order));
                Assert.Equal(10, (await store.ListPageAsync(new CacheListQuery(10, Order: order))).Entries.Count);
                Assert.True(store.Keeps(order));
            }

            var entry = BookEntry(id, new string('x', id % 97), now.AddSeconds(600 + (id * 7919 % 9_000)));
            await store.TryPopulateAsync(entry, await store.BeginPopulateAsync(entry.Key));
        }

        Assert.Equal(6_000, store.Count);
        List<CacheEntry> listed = [];
        for (var page = await store.ListPageAsync(new CacheListQuery(500, Order: order)); ; page = await store.ListPageAsync(new CacheListQuery(500, page.NextCursor, Order: order)))
        {
            listed.AddRange(page.Entries);
            if (page.NextCursor is null)
            {
                break;
            }
        }

        var held = (await store.ListAsync()).ToList();
        Assert.Equal(held.Select(e => e.Key).Order(StringComparer.Ordinal), listed.Select(e => e.Key).Order(StringComparer.Ordinal));
        var expected = order == CacheOrder.Ttl
            ? held.OrderBy(e => e.AbsoluteExpiration).ThenBy(e => e.CreatedTimestamp).Select(e => e.AbsoluteExpiration.UtcTicks)
            : held.Select(e => (long)e.SizeBytes).OrderDescending();
        Assert.Equal(expected, listed.Select(e => order == CacheOrder.Ttl ? e.AbsoluteExpiration.UtcTicks : e.SizeBytes));
    }

    [Fact]
    public async Task ByTtl_ASmallTypeInABigStore_PagesInOrder_AndExpiredEntriesTheSweepHasNotReachedAreNotListed()
    {
        var time = new FakeTimeProvider(new DateTimeOffset(2026, 11, 23, 12, 0, 0, TimeSpan.Zero));
        await using var host = await EngineOnlyHost.StartAsync(s =>
        {
            s["Qset:Capacity"] = "1000";
            s["Qset:ExpirationScanInterval"] = "00:10:00";
        }, time);
        var store = (MemoryCacheStore)host.Cache.Store;
        var start = time.GetUtcNow();
        for (var id = 1; id <= 200; id++)
        {
            var entry = BookEntry(id, "u", start.AddSeconds(30 + id));
            await store.TryPopulateAsync(entry, await store.BeginPopulateAsync(entry.Key));
        }

        for (var id = 1; id <= 30; id++)
        {
            var shelf = new Shelf { Id = Guid.NewGuid(), Name = "s" };
            var entry = new CacheEntry($"Shelf.{id}", "Shelf", shelf, CacheJson.Serialize(shelf), start, 0, start.AddSeconds(1_000 - (7 * id)), null);
            await store.TryPopulateAsync(entry, await store.BeginPopulateAsync(entry.Key));
        }

        List<string> shelves = [];
        for (var page = await store.ListPageAsync(new CacheListQuery(7, EntityType: "Shelf", Order: CacheOrder.Ttl)); ; page = await store.ListPageAsync(new CacheListQuery(7, page.NextCursor, EntityType: "Shelf", Order: CacheOrder.Ttl)))
        {
            Assert.InRange(page.Entries.Count, 0, 7);
            shelves.AddRange(page.Entries.Select(e => e.Key));
            if (page.NextCursor is null)
            {
                break;
            }
        }

        Assert.Equal(Enumerable.Range(1, 30).Reverse().Select(i => $"Shelf.{i}"), shelves);

        // Books 1..100 have expired; no sweep has run: the listing starts at the first live one.
        time.Advance(TimeSpan.FromSeconds(130.5));
        Assert.Equal(230, store.Count);
        var books = await store.ListPageAsync(new CacheListQuery(3, EntityType: "Book", Order: CacheOrder.Ttl));
        Assert.Equal(["Book.101", "Book.102", "Book.103"], books.Entries.Select(e => e.Key));
    }

    [Fact]
    public async Task AFullStore_WhoseChosenVictimHadExpired_RecordsExpireForIt_NotEvict()
    {
        var time = new FakeTimeProvider(new DateTimeOffset(2026, 11, 23, 12, 0, 0, TimeSpan.Zero));
        await using var host = await EngineOnlyHost.StartAsync(s =>
        {
            s["Qset:Capacity"] = "3";
            s["Qset:DefaultTtl"] = "00:01:00";
            s["Qset:ExpirationScanInterval"] = "00:10:00";
        }, time);
        for (var id = 1; id <= 3; id++)
        {
            await host.AddBookAsync(id, $"b{id}");
            await host.Entities.FindAsync<Book>(id);
        }

        time.Advance(TimeSpan.FromMinutes(2));
        await host.AddBookAsync(4, "b4");
        await host.Entities.FindAsync<Book>(4);

        Assert.DoesNotContain(host.Events(), e => e.Kind == CacheEventKind.Evict);
        Assert.Equal("LibraryDb:Book.1", Assert.Single(host.Events(), e => e.Kind == CacheEventKind.Expire).Key);
    }

    [Fact]
    public async Task ListByKey_MergesTheIndexesByType_IntoOneOrdinalOrder_PageByPage()
    {
        await using var host = await EngineOnlyHost.StartAsync(s => s["Qset:Capacity"] = "1000");
        var store = (MemoryCacheStore)host.Cache.Store;
        var now = DateTimeOffset.UtcNow;
        List<string> keys = [];
        for (var id = 1; id <= 40; id++)
        {
            var type = (id % 3) switch { 0 => "Alpha", 1 => "Beta", _ => "Gamma" };
            var key = $"{(char)('a' + (id * 11 % 26))}{type}.{id}";
            keys.Add(key);
            var entry = new CacheEntry(key, type, id, id.ToString(System.Globalization.CultureInfo.InvariantCulture), now, TimeProvider.System.GetTimestamp(), now.AddMinutes(5), null);
            await store.TryPopulateAsync(entry, await store.BeginPopulateAsync(key));
        }

        List<string> listed = [];
        var pages = 0;
        for (var page = await store.ListPageAsync(new CacheListQuery(7)); ; page = await store.ListPageAsync(new CacheListQuery(7, page.NextCursor)))
        {
            Assert.InRange(page.Entries.Count, 0, 7);
            listed.AddRange(page.Entries.Select(e => e.Key));
            pages++;
            if (page.NextCursor is null)
            {
                break;
            }
        }

        Assert.Equal(keys.Order(StringComparer.Ordinal), listed);
        Assert.Equal(6, pages);
    }

    [Fact]
    public async Task OrderKeptOnDemand_IsDroppedAfterTenIdleMinutes_AndBuiltAgainWhenAskedFor()
    {
        var time = new FakeTimeProvider(new DateTimeOffset(2026, 11, 23, 12, 0, 0, TimeSpan.Zero));
        await using var host = await EngineOnlyHost.StartAsync(s => s["Qset:DefaultTtl"] = "01:00:00", time);
        var store = (MemoryCacheStore)host.Cache.Store;
        for (var id = 1; id <= 3; id++)
        {
            var entry = BookEntry(id, new string('x', id), time.GetUtcNow().AddMinutes(30));
            await store.TryPopulateAsync(entry, await store.BeginPopulateAsync(entry.Key));
        }

        Assert.Equal(["Book.3", "Book.2", "Book.1"], (await store.ListPageAsync(new CacheListQuery(10, Order: CacheOrder.Size))).Entries.Select(e => e.Key));
        time.Advance(TimeSpan.FromMinutes(9));
        Assert.True(store.Keeps(CacheOrder.Size));

        // A page still showing the order keeps it, without listing again.
        store.KeepOrder(CacheOrder.Size);
        time.Advance(TimeSpan.FromMinutes(9));
        Assert.True(store.Keeps(CacheOrder.Size));

        time.Advance(TimeSpan.FromMinutes(1));
        Assert.False(store.Keeps(CacheOrder.Size));

        var later = BookEntry(4, new string('x', 4), time.GetUtcNow().AddMinutes(30));
        await store.TryPopulateAsync(later, await store.BeginPopulateAsync(later.Key));
        Assert.Equal(["Book.4", "Book.3", "Book.2", "Book.1"], (await store.ListPageAsync(new CacheListQuery(10, Order: CacheOrder.Size))).Entries.Select(e => e.Key));
        Assert.True(store.Keeps(CacheOrder.Size));
    }

    [Fact]
    public async Task InvalidateType_DropsEveryKeyOfTheType_ManyLockHoldsApart_LeavesOtherTypes_AndRefusesEarlierReads()
    {
        const int Books = 10_000;
        await using var host = await EngineOnlyHost.StartAsync(s => s["Qset:Capacity"] = "20000");
        var store = host.Cache.Store;
        var expires = DateTimeOffset.UtcNow.AddHours(1);
        for (var id = 1; id <= Books; id++)
        {
            await store.TryPopulateAsync(BookEntry(id, "b", expires), await store.BeginPopulateAsync($"Book.{id}"));
        }

        var shelf = new Shelf { Id = Guid.NewGuid(), Name = "fiction" };
        var shelfKey = $"Shelf.{shelf.Id}";
        await store.TryPopulateAsync(
            new CacheEntry(shelfKey, "Shelf", shelf, CacheJson.Serialize(shelf), DateTimeOffset.UtcNow, TimeProvider.System.GetTimestamp(), expires, null),
            await store.BeginPopulateAsync(shelfKey));
        var earlier = await store.BeginPopulateAsync("Book.7");

        // A key not held when the type goes: a read of it under way (a database read, a Hybrid copy from L2) began before.
        var notHeld = await store.BeginPopulateAsync("Book.99999");

        var dropped = await store.InvalidateTypeAsync("Book");

        Assert.Equal(Books, dropped.Count);
        Assert.Equal(Books, dropped.Distinct(StringComparer.Ordinal).Count());
        Assert.Equal(1, store.Count);
        Assert.Empty(await store.KeysOfTypeAsync("Book"));
        Assert.NotNull(await store.PeekAsync(shelfKey));
        var result = await store.TryPopulateAsync(BookEntry(7, "stale", expires), earlier);
        Assert.False(result.Stored, "a read that began before the invalidation is refused");
        var unheld = await store.TryPopulateAsync(BookEntry(99_999, "stale", expires), notHeld);
        Assert.False(unheld.Stored, "a read of a key the type did not hold, begun before the invalidation, is refused too");
        var after = await store.TryPopulateAsync(BookEntry(99_999, "fresh", expires), await store.BeginPopulateAsync("Book.99999"));
        Assert.True(after.Stored, "a read begun after it is stored");
    }

    private static CacheEntry BookEntry(int id, string title, DateTimeOffset expires)
    {
        var book = new Book { Id = id, Title = title };
        return new CacheEntry($"Book.{id}", "Book", book, CacheJson.Serialize(book), expires.AddMinutes(-5), TimeProvider.System.GetTimestamp(), expires, null);
    }

    /// <summary>A read of <c>Book.{id}</c> whose load makes the book up (no database row), titled <paramref name="title"/>.</summary>
    private static ValueTask<CacheRead<Book>> ReadAsync(EngineOnlyHost host, int id, string title) =>
        host.Cache.GetAsync<Book, (int Id, string Title)>($"Book.{id}", (id, title), static (s, _) => Task.FromResult<Book?>(new Book { Id = s.Id, Title = s.Title }));

    [Fact]
    public async Task Invalidate_OfAKeyItNeverHeld_IsStillRecorded()
    {
        await using var host = await EngineOnlyHost.StartAsync();

        await host.Cache.InvalidateAsync("Book.9", "Book");

        Assert.Equal(CacheEventKind.Invalidate, Assert.Single(host.Events()).Kind);
    }
}
