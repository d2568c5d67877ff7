using Microsoft.EntityFrameworkCore;
using Qset.Caching;
using QsetDashboard.Data;
using QsetDashboard.Tests.Infrastructure;

namespace QsetDashboard.Tests.Redis;

/// <summary>One contract, every store: Memory, Redis and Hybrid must behave alike to a caller.</summary>
public abstract class StoreContractTests
{
    protected abstract Task<EngineHost> StartAsync(Action<Dictionary<string, string?>>? configure = null);

    [Fact]
    public async Task Get_OfAnUnknownKey_IsNull()
    {
        await using var host = await StartAsync();

        Assert.Null(await host.Cache.Store.GetAsync("User.404"));
    }

    [Fact]
    public async Task ReadTwice_MissPopulateThenHit_WithTheSameValue()
    {
        await using var host = await StartAsync();
        await host.Generic.SetAsync(1, new User { Name = "Alice" });

        var first = await host.Generic.ReadAsync<User>(1);
        var second = await host.Generic.ReadAsync<User>(1);

        Assert.False(first.Hit);
        Assert.True(second.Hit);
        Assert.Equal("Alice", second.Value!.Name);
        Assert.Equal(1, host.Cache.GetStats().Populates);
    }

    [Fact]
    public async Task CountAsync_IsExact_AsEntriesComeAndGo()
    {
        await using var host = await StartAsync();
        for (var id = 1; id <= 3; id++)
        {
            await host.Generic.SetAsync(id, new User { Name = $"user {id}" });
            await host.Generic.GetAsync<User>(id);
        }

        Assert.Equal(3, await host.Cache.Store.CountAsync());
        Assert.Equal(3, host.Cache.Store.Count);

        await host.Cache.InvalidateAsync("User.2", "User");
        Assert.Equal(2, await host.Cache.Store.CountAsync());

        await host.Cache.FlushAsync();
        Assert.Equal(0, await host.Cache.Store.CountAsync());
    }

    [Fact]
    public async Task CountNamespacesAsync_CountsEachEntityTypeExactly_AsEntriesComeAndGo()
    {
        await using var host = await StartAsync();
        for (var id = 1; id <= 3; id++)
        {
            await host.Generic.SetAsync(id, new User { Name = $"user {id}" });
            await host.Generic.GetAsync<User>(id);
        }

        await host.Generic.SetAsync(1, new Team { Name = "Dev" });
        await host.Generic.GetAsync<Team>(1);

        var counts = await host.Cache.Store.CountNamespacesAsync();
        Assert.Equal(new Dictionary<string, int> { ["Team"] = 1, ["User"] = 3 }, counts!.ByType);

        await host.Cache.InvalidateAsync("User.3", "User");
        await host.Cache.InvalidateAsync("Team.1", "Team");
        Assert.Equal(new Dictionary<string, int> { ["User"] = 2 }, (await host.Cache.Store.CountNamespacesAsync())!.ByType);
        Assert.Equal(["User.1", "User.2"], (await host.Cache.Store.KeysOfTypeAsync("User")).Order(StringComparer.Ordinal));
    }

    [Fact]
    public async Task Invalidate_RemovesTheEntry_AndTheNextReadIsFresh()
    {
        await using var host = await StartAsync();
        await host.Generic.SetAsync(1, new Team { Name = "Dev" });
        await host.Generic.GetAsync<Team>(1);

        await host.Generic.SetAsync(1, new Team { Name = "Ops" });

        Assert.Null(await host.Cache.Store.GetAsync("Team.1"));
        Assert.Equal("Ops", (await host.Generic.GetAsync<Team>(1))!.Name);
    }

    [Fact]
    public async Task Populate_ThatBeganBeforeAnInvalidation_IsRefused()
    {
        await using var host = await StartAsync();
        var store = host.Cache.Store;
        var ticket = await store.BeginPopulateAsync("User.1");
        await store.InvalidateAsync("User.1");

        var result = await store.TryPopulateAsync(Entry("User.1", "stale"), ticket);

        Assert.False(result.Stored);
        Assert.Contains("invalidated", result.Reason, StringComparison.Ordinal);
        Assert.Null(await store.GetAsync("User.1"));
    }

    [Fact]
    public async Task Populate_ThatBeganBeforeAFlush_IsRefused_EvenForAKeyNeverCached()
    {
        await using var host = await StartAsync();
        var store = host.Cache.Store;
        var ticket = await store.BeginPopulateAsync("User.3");
        await store.ClearAsync();

        var result = await store.TryPopulateAsync(Entry("User.3", "stale"), ticket);

        Assert.False(result.Stored);
        Assert.Null(await store.GetAsync("User.3"));
    }

    [Fact]
    public async Task Populate_WithAFreshTicket_IsStored_AndListedWithItsTtl()
    {
        await using var host = await StartAsync();
        var store = host.Cache.Store;
        var ticket = await store.BeginPopulateAsync("User.2");

        var result = await store.TryPopulateAsync(Entry("User.2", "Bob"), ticket);
        var listed = Assert.Single(await store.ListAsync());

        Assert.True(result.Stored);
        Assert.Equal("User.2", listed.Key);
        Assert.Equal("User", listed.EntityType);
        Assert.Equal("Bob", ((User)listed.Value).Name);
        Assert.True(listed.AbsoluteExpiration > DateTimeOffset.UtcNow);
    }

    [Fact]
    public async Task Clear_RemovesEveryEntry()
    {
        await using var host = await StartAsync();
        await host.Generic.SetAsync(1, new User { Name = "A" });
        await host.Generic.SetAsync(2, new User { Name = "B" });
        await host.Generic.GetAsync<User>(1);
        await host.Generic.GetAsync<User>(2);

        var removed = await host.Cache.FlushAsync();

        Assert.Equal(2, removed);
        Assert.Empty(await host.Cache.Store.ListAsync());
    }

    [Fact]
    public async Task Flush_InvalidatesEachEntry_NamingItsType()
    {
        await using var host = await StartAsync();
        await host.Generic.SetAsync(1, new User { Name = "A" });
        await host.Generic.SetAsync(1, new Team { Name = "Blue" });
        await host.Generic.GetAsync<User>(1);
        await host.Generic.GetAsync<Team>(1);

        Assert.Equal(2, await host.Cache.FlushAsync());

        var flushed = host.Events().Where(e => e.Kind == CacheEventKind.Invalidate && e.Detail == "flush").Select(e => (e.Key, e.EntityType));
        Assert.Equal([("Team.1", "Team"), ("User.1", "User")], flushed.Order());
    }

    [Fact]
    public async Task Clear_OfManyMoreEntriesThanOneChunk_RemovesEveryOne_AndCountsEach_NamingEachOnceWhenItNamesThem()
    {
        const int Entries = 2_500;
        await using var host = await StartAsync(s => s["Cache:Capacity"] = "5000");
        var store = host.Cache.Store;
        for (var id = 1; id <= Entries; id++)
        {
            var entry = Entry($"User.{id}", $"user {id}");
            Assert.True((await store.TryPopulateAsync(entry, await store.BeginPopulateAsync(entry.Key))).Stored);
        }

        var removed = await store.ClearAsync();

        Assert.Equal(Entries, removed.Count);
        if (removed.Entries.Count > 0)
        {
            Assert.Equal(Entries, removed.Entries.Select(r => r.Key).Distinct(StringComparer.Ordinal).Count());
            Assert.All(removed.Entries, r => Assert.Equal("User", r.EntityType));
        }

        Assert.Equal(0, await store.CountAsync());
        Assert.Null(await store.GetAsync("User.1"));
        Assert.Null(await store.GetAsync($"User.{Entries}"));
        Assert.Empty(await store.KeysOfTypeAsync("User"));
    }

    [Fact]
    public async Task AfterAFlushOfMany_InvalidatingAKeyItRemoved_RemovesNothing()
    {
        // Redis leaves a big flush's values for a background reclaim; they are misses, so not there to invalidate.
        await using var host = await StartAsync(s => s["Cache:Capacity"] = "1000");
        for (var id = 1; id <= CacheRecorder.OneByOne + 50; id++)
        {
            await host.Cache.GetAsync<User, int>($"User.{id}", id, static (i, _) => Task.FromResult<User?>(new User { Id = i, Name = "n" }));
        }

        await host.Cache.FlushAsync();

        Assert.False(await host.Cache.Store.InvalidateAsync("User.5"));
    }

    [Fact]
    public async Task Update_RacingReadsOfTheSameKey_NeverLeavesTheOldValueBehind()
    {
        await using var host = await StartAsync();
        await host.Generic.SetAsync(1, new User { Name = "v0" });

        // Each round: the old value is cached everywhere, then an update races two readers. Whatever they were
        // served while it ran, once all three are done the cache must not hold the old value. (With L1 dropped
        // before L2, a reader copied the old L2 value into L1 between the two, and it stayed: issue #12.)
        for (var round = 1; round <= 100; round++)
        {
            await host.Generic.GetAsync<User>(1);
            await host.Generic.GetAsync<User>(1);
            var update = Task.Run(async () => await host.Generic.SetAsync(1, new User { Name = $"v{round}" }));
            var readers = Enumerable.Range(0, 2).Select(_ => Task.Run(async () => await host.Generic.GetAsync<User>(1))).ToArray();
            await Task.WhenAll([update, .. readers]);

            var cached = await host.Cache.Store.GetAsync("User.1");
            Assert.True(cached is null || ((User)cached.Value).Name == $"v{round}", $"round {round}: the cache kept {((User?)cached?.Value)?.Name}");
            Assert.Equal($"v{round}", (await host.Generic.GetAsync<User>(1))!.Name);
        }
    }

    [Fact]
    public async Task ABulkWriteOfATable_InvalidatesEveryHeldKeyOfThatTable_AndNoOther()
    {
        await using var host = await StartAsync();
        for (var id = 1; id <= 5; id++)
        {
            await host.Generic.SetAsync(id, new User { Name = $"u{id}" });
            await host.Generic.GetAsync<User>(id);
        }

        await host.Generic.SetAsync(1, new Team { Name = "Dev" });
        await host.Generic.GetAsync<Team>(1);
        Assert.Equal(["User.1", "User.2", "User.3", "User.4", "User.5"], (await host.Cache.Store.KeysOfTypeAsync("User")).Order(StringComparer.Ordinal));

        await using (var db = host.NewContext())
        {
            await db.Users.Where(u => u.Id <= 5).ExecuteUpdateAsync(u => u.SetProperty(x => x.Name, "renamed"));
        }

        Assert.Empty(await host.Cache.Store.KeysOfTypeAsync("User"));
        for (var id = 1; id <= 5; id++)
        {
            Assert.Null(await host.Cache.Store.GetAsync($"User.{id}"));
            Assert.Equal("renamed", (await host.Generic.GetAsync<User>(id))!.Name);
        }

        Assert.NotNull(await host.Cache.Store.GetAsync("Team.1"));
        Assert.Equal(5, host.Events().Count(e => e.Kind == CacheEventKind.Invalidate && e.Key.StartsWith("User.", StringComparison.Ordinal) && e.Detail?.Contains("ExecuteUpdate", StringComparison.Ordinal) == true));
    }

    [Fact]
    public async Task ListPage_WalksEveryKeyOnce_InPagesOfAtMostTheLimit_AndFiltersByTypeAndText()
    {
        await using var host = await StartAsync();
        var store = host.Cache.Store;
        for (var id = 1; id <= 25; id++)
        {
            await store.TryPopulateAsync(Entry($"User.{id}", $"u{id}"), await store.BeginPopulateAsync($"User.{id}"));
        }

        for (var id = 1; id <= 3; id++)
        {
            var team = new Team { Id = id, Name = $"t{id}" };
            var now = DateTimeOffset.UtcNow;
            var entry = new CacheEntry($"Team.{id}", "Team", team, CacheJson.Serialize(team), now, TimeProvider.System.GetTimestamp(), now.AddMinutes(5), null);
            await store.TryPopulateAsync(entry, await store.BeginPopulateAsync(entry.Key));
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
        var teams = await store.ListPageAsync(new CacheListQuery(100, EntityType: "Team"));
        Assert.Equal(["Team.1", "Team.2", "Team.3"], teams.Entries.Select(e => e.Key).Order(StringComparer.Ordinal));
        Assert.Null(teams.NextCursor);
        var text = await AllAsync(store, new CacheListQuery(100, Text: "uSeR.1"));
        Assert.Equal(["User.1", .. Enumerable.Range(10, 10).Select(i => $"User.{i}")], text.Order(StringComparer.Ordinal));
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
            await store.TryPopulateAsync(Entry($"User.{id}", $"u{id}"), await store.BeginPopulateAsync($"User.{id}"));
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

        Assert.Equal(Enumerable.Range(1, 40).Select(i => $"User.{i}").Order(StringComparer.Ordinal), seen.Order(StringComparer.Ordinal));
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
            var entry = Entry($"User.{id}", new string('x', id), now.AddSeconds(300 + (7 * id % 25 * 10)));
            entries.Add(entry);
            await store.TryPopulateAsync(entry, await store.BeginPopulateAsync(entry.Key));
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
        // Its size (a 9-letter name, a 2-digit id) and expiry fall between two others', and after the cursor's.
        var arrived = Entry("User.99", new string('x', 9), now.AddSeconds(300 + 125));
        await store.TryPopulateAsync(arrived, await store.BeginPopulateAsync(arrived.Key));
        entries.Add(arrived);

        var rest = await AllAsync(store, new CacheListQuery(10, first.NextCursor, Order: order));
        Assert.Equal(
            Expected(entries.Where(e => e.Key != cursorKey)).Skip(9).Select(e => e.Key),
            rest);

        // The filters apply in either order: one type, and text in any case.
        var team = new Team { Id = 1, Name = "Dev" };
        var teamEntry = new CacheEntry("Team.1", "Team", team, CacheJson.Serialize(team), now, TimeProvider.System.GetTimestamp(), now.AddMinutes(9), null);
        await store.TryPopulateAsync(teamEntry, await store.BeginPopulateAsync(teamEntry.Key));
        Assert.Equal(["Team.1"], await AllAsync(store, new CacheListQuery(10, EntityType: "Team", Order: order)));
        Assert.Equal(
            Expected(entries.Where(e => e.Key != cursorKey && e.Key.StartsWith("User.1", StringComparison.Ordinal))).Select(e => e.Key),
            await AllAsync(store, new CacheListQuery(3, Text: "uSeR.1", Order: order)));
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
            var entry = Entry($"User.{id}", "same", expires);
            await store.TryPopulateAsync(entry, await store.BeginPopulateAsync(entry.Key));
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
        await host.Generic.SetAsync(1, new User { Name = "Alice" });
        await host.Generic.GetAsync<User>(1);
        var before = host.Cache.GetStats();

        var held = await host.Cache.Store.PeekAsync("User.1");
        var missing = await host.Cache.Store.PeekAsync("User.404");

        Assert.Equal("Alice", ((User)held!.Value).Name);
        Assert.Null(missing);
        var after = host.Cache.GetStats();
        Assert.Equal((before.Hits, before.Misses), (after.Hits, after.Misses));
    }

    [Fact]
    public async Task AKeyStoredOverWithAnotherType_LeavesTheFirstTypesIndex_SoItsCountAndPagesAreExact()
    {
        // A bare key (the simple style's "42") can hold a User, then a Team: the User index must not keep it.
        await using var host = await StartAsync();
        var store = host.Cache.Store;
        var now = DateTimeOffset.UtcNow;
        var user = new User { Id = 42, Name = "Alice" };
        var team = new Team { Id = 42, Name = "Blue" };
        CacheEntry asUser = new("42", "User", user, CacheJson.Serialize(user), now, TimeProvider.System.GetTimestamp(), now.AddMinutes(5), null);
        CacheEntry asTeam = new("42", "Team", team, CacheJson.Serialize(team), now, TimeProvider.System.GetTimestamp(), now.AddMinutes(5), null);

        Assert.True((await store.TryPopulateAsync(asUser, await store.BeginPopulateAsync("42"))).Stored);
        Assert.True((await store.TryPopulateAsync(asTeam, await store.BeginPopulateAsync("42"))).Stored);

        Assert.Empty(await store.KeysOfTypeAsync("User"));
        Assert.Equal(["42"], await store.KeysOfTypeAsync("Team"));
        Assert.Empty(await AllAsync(store, new CacheListQuery(10, EntityType: "User")));
        Assert.Equal(["42"], await AllAsync(store, new CacheListQuery(10, EntityType: "Team")));
        if (await store.CountNamespacesAsync() is { } counts)
        {
            Assert.Equal(0, counts.ByType.GetValueOrDefault("User"));
            Assert.Equal(1, counts.ByType.GetValueOrDefault("Team"));
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

    private static CacheEntry Entry(string key, string name, DateTimeOffset? expires = null)
    {
        var user = new User { Id = int.Parse(key[5..], System.Globalization.CultureInfo.InvariantCulture), Name = name };
        var now = DateTimeOffset.UtcNow;
        return new CacheEntry(key, "User", user, CacheJson.Serialize(user), now, TimeProvider.System.GetTimestamp(), expires ?? now.AddMinutes(5), null);
    }
}

public sealed class MemoryStoreContractTests : StoreContractTests
{
    protected override Task<EngineHost> StartAsync(Action<Dictionary<string, string?>>? configure = null) => EngineHost.StartAsync(configure);
}

/// <summary>The memory store without its copy of each value in a <c>MemoryCache</c> keeps the same contract.</summary>
public sealed class MemoryStoreWithoutMemoryCacheContractTests : StoreContractTests
{
    protected override Task<EngineHost> StartAsync(Action<Dictionary<string, string?>>? configure = null) =>
        EngineHost.StartAsync(s =>
        {
            s["Cache:ValuesInMemoryCache"] = "false";
            configure?.Invoke(s);
        });
}

[Collection(RedisCollection.Name)]
public sealed class RedisStoreContractTests(RedisServer redis) : StoreContractTests
{
    protected override Task<EngineHost> StartAsync(Action<Dictionary<string, string?>>? configure = null) =>
        EngineHost.StartAsync(s =>
        {
            RedisCollection.Configure(s, redis, "Redis");
            configure?.Invoke(s);
        });
}

[Collection(RedisCollection.Name)]
public sealed class HybridStoreContractTests(RedisServer redis) : StoreContractTests
{
    protected override Task<EngineHost> StartAsync(Action<Dictionary<string, string?>>? configure = null) =>
        EngineHost.StartAsync(s =>
        {
            RedisCollection.Configure(s, redis, "Hybrid");
            configure?.Invoke(s);
        });
}

[Collection(RedisClusterCollection.Name)]
public sealed class RedisClusterStoreContractTests(RedisCluster cluster) : StoreContractTests
{
    protected override Task<EngineHost> StartAsync(Action<Dictionary<string, string?>>? configure = null) =>
        EngineHost.StartAsync(s =>
        {
            RedisClusterCollection.Configure(s, cluster, "Redis");
            configure?.Invoke(s);
        });
}

[Collection(RedisClusterCollection.Name)]
public sealed class HybridClusterStoreContractTests(RedisCluster cluster) : StoreContractTests
{
    protected override Task<EngineHost> StartAsync(Action<Dictionary<string, string?>>? configure = null) =>
        EngineHost.StartAsync(s =>
        {
            RedisClusterCollection.Configure(s, cluster, "Hybrid");
            configure?.Invoke(s);
        });
}
