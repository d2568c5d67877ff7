using Microsoft.EntityFrameworkCore;
using Qset.Caching;
using QsetDashboard.Tests.Infrastructure;
using QsetDashboard.Tests.Redis;

namespace QsetDashboard.Tests.Engine.Stores;

/// <summary>One contract, every store: Memory, Redis and Hybrid must behave alike to a caller.</summary>
public abstract class StoreContractTests
{
    private static readonly Guid Fiction = new("5f0c7c39-7d7a-4d7e-9a43-1d2b0a6c0f11");

    protected abstract Task<EngineOnlyHost> StartAsync(Action<Dictionary<string, string?>>? configure = null);

    /// <summary>Books <paramref name="ids"/> added and read once each, so each is cached under its key.</summary>
    private static async Task CachedBooksAsync(EngineOnlyHost host, params int[] ids)
    {
        foreach (var id in ids)
        {
            await host.AddBookAsync(id, $"book {id}");
            await host.Entities.FindAsync<Book>(id);
        }
    }

    /// <summary>The fiction shelf added and read once: an entry of a second type.</summary>
    private static async Task<string> CachedShelfAsync(EngineOnlyHost host)
    {
        await host.AddShelfAsync(Fiction, "fiction");
        await host.Entities.FindAsync<Shelf>(Fiction);
        return host.Entities.KeyOf<Shelf>(Fiction);
    }

    [Fact]
    public async Task Get_OfAnUnknownKey_IsNull()
    {
        await using var host = await StartAsync();

        Assert.Null(await host.Cache.Store.GetAsync("LibraryDb:Book.404"));
    }

    [Fact]
    public async Task ReadTwice_MissPopulateThenHit_WithTheSameValue()
    {
        await using var host = await StartAsync();
        await host.AddBookAsync(1, "Emma");

        var first = await host.Entities.ReadAsync<Book>([1]);
        var second = await host.Entities.ReadAsync<Book>([1]);

        Assert.False(first.Hit);
        Assert.True(second.Hit);
        Assert.Equal("Emma", second.Value!.Title);
        Assert.Equal(1, host.Cache.GetStats().Populates);
    }

    [Fact]
    public async Task CountAsync_IsExact_AsEntriesComeAndGo()
    {
        await using var host = await StartAsync();
        await CachedBooksAsync(host, 1, 2, 3);

        Assert.Equal(3, await host.Cache.Store.CountAsync());
        Assert.Equal(3, host.Cache.Store.Count);

        await host.Cache.InvalidateAsync("LibraryDb:Book.2", "LibraryDb:Book");
        Assert.Equal(2, await host.Cache.Store.CountAsync());

        await host.Cache.FlushAsync();
        Assert.Equal(0, await host.Cache.Store.CountAsync());
    }

    [Fact]
    public async Task CountNamespacesAsync_CountsEachEntityTypeExactly_AsEntriesComeAndGo()
    {
        await using var host = await StartAsync();
        await CachedBooksAsync(host, 1, 2, 3);
        var shelf = await CachedShelfAsync(host);

        var counts = await host.Cache.Store.CountNamespacesAsync();
        Assert.Equal(new Dictionary<string, int> { ["LibraryDb:Book"] = 3, ["LibraryDb:Shelf"] = 1 }, counts!.ByType);

        await host.Cache.InvalidateAsync("LibraryDb:Book.3", "LibraryDb:Book");
        await host.Cache.InvalidateAsync(shelf, "LibraryDb:Shelf");
        Assert.Equal(new Dictionary<string, int> { ["LibraryDb:Book"] = 2 }, (await host.Cache.Store.CountNamespacesAsync())!.ByType);
        Assert.Equal(["LibraryDb:Book.1", "LibraryDb:Book.2"], (await host.Cache.Store.KeysOfTypeAsync("LibraryDb:Book")).Order(StringComparer.Ordinal));
    }

    [Fact]
    public async Task Invalidate_RemovesTheEntry_AndTheNextReadIsFresh()
    {
        await using var host = await StartAsync();
        await host.AddBookAsync(1, "Emma");
        await host.Entities.FindAsync<Book>(1);

        await host.SaveBookAsync(1, "Persuasion");

        Assert.Null(await host.Cache.Store.GetAsync("LibraryDb:Book.1"));
        Assert.Equal("Persuasion", (await host.Entities.FindAsync<Book>(1))!.Title);
    }

    [Fact]
    public async Task Populate_ThatBeganBeforeAnInvalidation_IsRefused()
    {
        await using var host = await StartAsync();
        var store = host.Cache.Store;
        var ticket = await store.BeginPopulateAsync("Book.1");
        await store.InvalidateAsync("Book.1");

        var result = await store.TryPopulateAsync(StoreEntries.Book(1, "stale"), ticket);

        Assert.False(result.Stored);
        Assert.Contains("invalidated", result.Reason, StringComparison.Ordinal);
        Assert.Null(await store.GetAsync("Book.1"));
    }

    [Fact]
    public async Task Populate_ThatBeganBeforeAFlush_IsRefused_EvenForAKeyNeverCached()
    {
        await using var host = await StartAsync();
        var store = host.Cache.Store;
        var ticket = await store.BeginPopulateAsync("Book.3");
        await store.ClearAsync();

        var result = await store.TryPopulateAsync(StoreEntries.Book(3, "stale"), ticket);

        Assert.False(result.Stored);
        Assert.Null(await store.GetAsync("Book.3"));
    }

    [Fact]
    public async Task Populate_WithAFreshTicket_IsStored_AndListedWithItsTtl()
    {
        await using var host = await StartAsync();
        var store = host.Cache.Store;
        var ticket = await store.BeginPopulateAsync("Book.2");

        var result = await store.TryPopulateAsync(StoreEntries.Book(2, "Emma"), ticket);
        var listed = Assert.Single(await store.ListAsync());

        Assert.True(result.Stored);
        Assert.Equal("Book.2", listed.Key);
        Assert.Equal("Book", listed.EntityType);
        Assert.Equal("Emma", ((Book)listed.Value).Title);
        Assert.True(listed.AbsoluteExpiration > DateTimeOffset.UtcNow);
    }

    [Fact]
    public async Task Clear_RemovesEveryEntry()
    {
        await using var host = await StartAsync();
        await CachedBooksAsync(host, 1, 2);

        var removed = await host.Cache.FlushAsync();

        Assert.Equal(2, removed);
        Assert.Empty(await host.Cache.Store.ListAsync());
    }

    [Fact]
    public async Task Flush_InvalidatesEachEntry_NamingItsType()
    {
        await using var host = await StartAsync();
        await CachedBooksAsync(host, 1);
        var shelf = await CachedShelfAsync(host);

        Assert.Equal(2, await host.Cache.FlushAsync());

        var flushed = host.Events().Where(e => e.Kind == CacheEventKind.Invalidate && e.Detail == "flush").Select(e => (e.Key, e.EntityType));
        Assert.Equal([("LibraryDb:Book.1", "LibraryDb:Book"), (shelf, "LibraryDb:Shelf")], flushed.Order());
    }

    [Fact]
    public async Task Clear_OfManyMoreEntriesThanOneChunk_RemovesEveryOne_AndCountsEach_NamingEachOnceWhenItNamesThem()
    {
        const int Entries = 2_500;
        await using var host = await StartAsync(s => s["Qset:Capacity"] = "5000");
        var store = host.Cache.Store;
        for (var id = 1; id <= Entries; id++)
        {
            Assert.True((await store.PopulateAsync(StoreEntries.Book(id, $"book {id}"))).Stored);
        }

        var removed = await store.ClearAsync();

        Assert.Equal(Entries, removed.Count);
        if (removed.Entries.Count > 0)
        {
            Assert.Equal(Entries, removed.Entries.Select(r => r.Key).Distinct(StringComparer.Ordinal).Count());
            Assert.All(removed.Entries, r => Assert.Equal("Book", r.EntityType));
        }

        Assert.Equal(0, await store.CountAsync());
        Assert.Null(await store.GetAsync("Book.1"));
        Assert.Null(await store.GetAsync($"Book.{Entries}"));
        Assert.Empty(await store.KeysOfTypeAsync("Book"));
    }

    [Fact]
    public async Task AfterAFlushOfMany_InvalidatingAKeyItRemoved_RemovesNothing()
    {
        // Redis leaves a big flush's values for a background reclaim; they are misses, so not there to invalidate.
        await using var host = await StartAsync(s => s["Qset:Capacity"] = "1000");
        for (var id = 1; id <= CacheRecorder.OneByOne + 50; id++)
        {
            await host.Cache.GetAsync<Book, int>($"Book.{id}", id, static (i, _) => Task.FromResult<Book?>(new Book { Id = i, Title = "t" }));
        }

        await host.Cache.FlushAsync();

        Assert.False(await host.Cache.Store.InvalidateAsync("Book.5"));
    }

    [Fact]
    public async Task Update_RacingReadsOfTheSameKey_NeverLeavesTheOldValueBehind()
    {
        await using var host = await StartAsync();
        await host.AddBookAsync(1, "v0");

        // Each round: the old value is cached everywhere, then an update races two readers. Whatever they were
        // served while it ran, once all three are done the cache must not hold the old value. (With L1 dropped
        // before L2, a reader copied the old L2 value into L1 between the two, and it stayed: issue #12.)
        for (var round = 1; round <= 100; round++)
        {
            await host.Entities.FindAsync<Book>(1);
            await host.Entities.FindAsync<Book>(1);
            var update = Task.Run(async () => await host.SaveBookAsync(1, $"v{round}"));
            var readers = Enumerable.Range(0, 2).Select(_ => Task.Run(async () => await host.Entities.FindAsync<Book>(1))).ToArray();
            await Task.WhenAll([update, .. readers]);

            var cached = await host.Cache.Store.GetAsync("LibraryDb:Book.1");
            Assert.True(cached is null || ((Book)cached.Value).Title == $"v{round}", $"round {round}: the cache kept {((Book?)cached?.Value)?.Title}");
            Assert.Equal($"v{round}", (await host.Entities.FindAsync<Book>(1))!.Title);
        }
    }

    [Fact]
    public async Task ABulkWriteOfATable_InvalidatesEveryHeldKeyOfThatTable_AndNoOther()
    {
        await using var host = await StartAsync();
        await CachedBooksAsync(host, 1, 2, 3, 4, 5);
        var shelf = await CachedShelfAsync(host);
        Assert.Equal(
            ["LibraryDb:Book.1", "LibraryDb:Book.2", "LibraryDb:Book.3", "LibraryDb:Book.4", "LibraryDb:Book.5"],
            (await host.Cache.Store.KeysOfTypeAsync("LibraryDb:Book")).Order(StringComparer.Ordinal));

        await using (var db = host.NewContext())
        {
            await db.Books.Where(b => b.Id <= 5).ExecuteUpdateAsync(b => b.SetProperty(x => x.Title, "renamed"));
        }

        Assert.Empty(await host.Cache.Store.KeysOfTypeAsync("LibraryDb:Book"));
        for (var id = 1; id <= 5; id++)
        {
            Assert.Null(await host.Cache.Store.GetAsync($"LibraryDb:Book.{id}"));
            Assert.Equal("renamed", (await host.Entities.FindAsync<Book>(id))!.Title);
        }

        Assert.NotNull(await host.Cache.Store.GetAsync(shelf));
        Assert.Equal(5, host.Events().Count(e => e.Kind == CacheEventKind.Invalidate && e.Key.StartsWith("LibraryDb:Book.", StringComparison.Ordinal) && e.Detail?.Contains("ExecuteUpdate", StringComparison.Ordinal) == true));
    }

    [Fact]
    public async Task ListPage_WalksEveryKeyOnce_InPagesOfAtMostTheLimit_AndFiltersByTypeAndText()
    {
        await using var host = await StartAsync();
        var store = host.Cache.Store;
        for (var id = 1; id <= 25; id++)
        {
            await store.PopulateAsync(StoreEntries.Book(id, $"b{id}"));
        }

        for (var n = 1; n <= 3; n++)
        {
            await store.PopulateAsync(StoreEntries.Shelf(n, $"s{n}"));
        }

        List<string> seen = [];
        string? cursor = null;
        var pages = 0;
        do
        {
            var page = await store.ListPageAsync(new CacheListQuery(10, cursor));
            Assert.InRange(page.Entries.Count, 0, 10);
            seen.AddRange(page.Entries.Select(e => e.Key));
            cursor = page.NextCursor;
            Assert.True(++pages < 50, "the pages end");
        }
        while (cursor is not null);

        Assert.Equal(28, seen.Count);
        Assert.Equal(28, seen.Distinct(StringComparer.Ordinal).Count());
        var shelves = await store.ListPageAsync(new CacheListQuery(100, EntityType: "Shelf"));
        Assert.Equal(["Shelf.1", "Shelf.2", "Shelf.3"], shelves.Entries.Select(e => e.Key).Order(StringComparer.Ordinal));
        Assert.Null(shelves.NextCursor);
        var text = await AllAsync(store, new CacheListQuery(100, Text: "bOoK.1"));
        Assert.Equal(["Book.1", .. Enumerable.Range(10, 10).Select(i => $"Book.{i}")], text.Order(StringComparer.Ordinal));
        await Assert.ThrowsAnyAsync<ArgumentException>(async () => await store.ListPageAsync(new CacheListQuery(10, "not a cursor")));
    }

    [Theory]
    [InlineData(1)]
    [InlineData(3)]
    public async Task ListPage_InPagesSmallerThanWhatOneScanReturns_StillWalksEveryKeyOnce(int limit)
    {
        await using var host = await StartAsync();
        var store = host.Cache.Store;
        for (var id = 1; id <= 40; id++)
        {
            await store.PopulateAsync(StoreEntries.Book(id, $"b{id}"));
        }

        List<string> seen = [];
        string? cursor = null;
        var pages = 0;
        do
        {
            var page = await store.ListPageAsync(new CacheListQuery(limit, cursor));
            Assert.InRange(page.Entries.Count, 0, limit);
            seen.AddRange(page.Entries.Select(e => e.Key));
            cursor = page.NextCursor;
            Assert.True(++pages < 200, "the pages end");
        }
        while (cursor is not null);

        Assert.Equal(Enumerable.Range(1, 40).Select(i => $"Book.{i}").Order(StringComparer.Ordinal), seen.Order(StringComparer.Ordinal));
    }

    [Theory]
    [InlineData(CacheOrder.Ttl)]
    [InlineData(CacheOrder.Size)]
    public async Task ListPage_ByTtlOrSize_WalksEveryKeyOnceInThatOrder_EvenWhenTheCursorsKeyGoesAndAKeyArrives(CacheOrder order)
    {
        await using var host = await StartAsync();
        var store = host.Cache.Store;
        Assert.Contains(order, store.Orders());
        var now = DateTimeOffset.UtcNow;

        // Expiries and sizes both distinct, in two different orders: 7 is prime to 25, so 7·id mod 25 shuffles 1..25.
        List<CacheEntry> entries = [];
        for (var id = 1; id <= 25; id++)
        {
            var entry = StoreEntries.Book(id, new string('x', id), now.AddSeconds(300 + (7 * id % 25 * 10)));
            entries.Add(entry);
            await store.PopulateAsync(entry);
        }

        IEnumerable<CacheEntry> Expected(IEnumerable<CacheEntry> held) => order == CacheOrder.Ttl
            ? held.OrderBy(e => e.AbsoluteExpiration)
            : held.OrderByDescending(e => e.SizeBytes);

        var first = await store.ListPageAsync(new CacheListQuery(10, Order: order));
        Assert.Equal(Expected(entries).Take(10).Select(e => e.Key), first.Entries.Select(e => e.Key));
        Assert.NotNull(first.NextCursor);

        // Between two pages the key the cursor names goes, and one arrives that sorts after it.
        var cursorKey = first.Entries[^1].Key;
        await store.InvalidateAsync(cursorKey);
        // Its size (a 9-letter title, a 2-digit id) and expiry fall between two others', and after the cursor's.
        var arrived = StoreEntries.Book(99, new string('x', 9), now.AddSeconds(300 + 125));
        await store.PopulateAsync(arrived);
        entries.Add(arrived);

        var rest = await AllAsync(store, new CacheListQuery(10, first.NextCursor, Order: order));
        Assert.Equal(
            Expected(entries.Where(e => e.Key != cursorKey)).Skip(9).Select(e => e.Key),
            rest);

        // The filters apply in either order: one type, and text in any case.
        await store.PopulateAsync(StoreEntries.Shelf(1, "fiction", now.AddMinutes(9)));
        Assert.Equal(["Shelf.1"], await AllAsync(store, new CacheListQuery(10, EntityType: "Shelf", Order: order)));
        Assert.Equal(
            Expected(entries.Where(e => e.Key != cursorKey && e.Key.StartsWith("Book.1", StringComparison.Ordinal))).Select(e => e.Key),
            await AllAsync(store, new CacheListQuery(3, Text: "bOoK.1", Order: order)));
        await Assert.ThrowsAnyAsync<ArgumentException>(async () => await store.ListPageAsync(new CacheListQuery(10, "not a cursor", Order: order)));
    }

    [Theory]
    [InlineData(CacheOrder.Ttl)]
    [InlineData(CacheOrder.Size)]
    public async Task ListPage_ByTtlOrSize_ACursorWhoseKeyWentInsideARunOfTies_GoesOnRightAfterIt(CacheOrder order)
    {
        // Entries of one size and one expiry tie in either order (an index by size is mostly such runs): where the
        // cursor's key would sort among them is found again after it went, without walking the run.
        await using var host = await StartAsync();
        var store = host.Cache.Store;
        var expires = DateTimeOffset.UtcNow.AddMinutes(10);
        for (var id = 1; id <= 60; id++)
        {
            await store.PopulateAsync(StoreEntries.Book(id, "same", expires));
        }

        var all = await AllAsync(store, new CacheListQuery(7, Order: order));
        Assert.Equal(60, all.Count);
        var first = await store.ListPageAsync(new CacheListQuery(25, Order: order));
        Assert.Equal(all.Take(25), first.Entries.Select(e => e.Key));

        await store.InvalidateAsync(first.Entries[^1].Key);
        var rest = await AllAsync(store, new CacheListQuery(7, first.NextCursor, Order: order));

        Assert.Equal(all.Skip(25), rest);
    }

    [Fact]
    public async Task Peek_SeesAHeldEntry_AndNothingElse_WithoutCountingARead()
    {
        await using var host = await StartAsync();
        await host.AddBookAsync(1, "Emma");
        await host.Entities.FindAsync<Book>(1);
        var before = host.Cache.GetStats();

        var held = await host.Cache.Store.PeekAsync("LibraryDb:Book.1");
        var missing = await host.Cache.Store.PeekAsync("LibraryDb:Book.404");

        Assert.Equal("Emma", ((Book)held!.Value).Title);
        Assert.Null(missing);
        var after = host.Cache.GetStats();
        Assert.Equal((before.Hits, before.Misses), (after.Hits, after.Misses));
    }

    [Fact]
    public async Task AKeyStoredOverWithAnotherType_LeavesTheFirstTypesIndex_SoItsCountAndPagesAreExact()
    {
        // A bare key (a host's "42", which names no type) can hold a Book, then a Shelf: the Book index must not keep it.
        await using var host = await StartAsync();
        var store = host.Cache.Store;

        Assert.True((await store.PopulateAsync(StoreEntries.Of("42", "Book", new Book { Id = 42, Title = "Emma" }))).Stored);
        Assert.True((await store.PopulateAsync(StoreEntries.Of("42", "Shelf", new Shelf { Id = Fiction, Name = "fiction" }))).Stored);

        Assert.Empty(await store.KeysOfTypeAsync("Book"));
        Assert.Equal(["42"], await store.KeysOfTypeAsync("Shelf"));
        Assert.Empty(await AllAsync(store, new CacheListQuery(10, EntityType: "Book")));
        Assert.Equal(["42"], await AllAsync(store, new CacheListQuery(10, EntityType: "Shelf")));
        if (await store.CountNamespacesAsync() is { } counts)
        {
            Assert.Equal(0, counts.ByType.GetValueOrDefault("Book"));
            Assert.Equal(1, counts.ByType.GetValueOrDefault("Shelf"));
        }
    }

    private static async Task<List<string>> AllAsync(ICacheStore store, CacheListQuery query)
    {
        List<string> keys = [];
        for (var page = await store.ListPageAsync(query); ; page = await store.ListPageAsync(query with { Cursor = page.NextCursor }))
        {
            keys.AddRange(page.Entries.Select(e => e.Key));
            if (page.NextCursor is null)
            {
                return keys;
            }
        }
    }
}

public sealed class MemoryStoreContractTests : StoreContractTests
{
    protected override Task<EngineOnlyHost> StartAsync(Action<Dictionary<string, string?>>? configure = null) => EngineOnlyHost.StartAsync(configure);
}

/// <summary>The memory store without its copy of each value in a <c>MemoryCache</c> keeps the same contract.</summary>
public sealed class MemoryStoreWithoutMemoryCacheContractTests : StoreContractTests
{
    protected override Task<EngineOnlyHost> StartAsync(Action<Dictionary<string, string?>>? configure = null) =>
        EngineOnlyHost.StartAsync(s =>
        {
            s["Qset:ValuesInMemoryCache"] = "false";
            configure?.Invoke(s);
        });
}

[Collection(RedisCollection.Name)]
public sealed class RedisStoreContractTests(RedisServer redis) : StoreContractTests
{
    protected override Task<EngineOnlyHost> StartAsync(Action<Dictionary<string, string?>>? configure = null) =>
        EngineOnlyHost.StartAsync(s =>
        {
            RedisCollection.Configure(s, redis, "Redis", section: "Qset");
            configure?.Invoke(s);
        });
}

[Collection(RedisCollection.Name)]
public sealed class HybridStoreContractTests(RedisServer redis) : StoreContractTests
{
    protected override Task<EngineOnlyHost> StartAsync(Action<Dictionary<string, string?>>? configure = null) =>
        EngineOnlyHost.StartAsync(s =>
        {
            RedisCollection.Configure(s, redis, "Hybrid", section: "Qset");
            configure?.Invoke(s);
        });
}

[Collection(RedisClusterCollection.Name)]
public sealed class RedisClusterStoreContractTests(RedisCluster cluster) : StoreContractTests
{
    protected override Task<EngineOnlyHost> StartAsync(Action<Dictionary<string, string?>>? configure = null) =>
        EngineOnlyHost.StartAsync(s =>
        {
            RedisClusterCollection.Configure(s, cluster, "Redis", section: "Qset");
            configure?.Invoke(s);
        });
}

[Collection(RedisClusterCollection.Name)]
public sealed class HybridClusterStoreContractTests(RedisCluster cluster) : StoreContractTests
{
    protected override Task<EngineOnlyHost> StartAsync(Action<Dictionary<string, string?>>? configure = null) =>
        EngineOnlyHost.StartAsync(s =>
        {
            RedisClusterCollection.Configure(s, cluster, "Hybrid", section: "Qset");
            configure?.Invoke(s);
        });
}
