using Microsoft.EntityFrameworkCore;
using Qset.Caching;
using QsetDashboard.Data;
using QsetDashboard.Tests.Infrastructure;
using QsetDashboard.Styles;

namespace QsetDashboard.Tests.Sample;

public sealed class GenericCacheTests
{
    [Fact]
    public async Task Get_FirstMissesAndPopulates_SecondHits()
    {
        await using var host = await EngineHost.StartAsync();
        await host.Repository.UpsertAsync(new User { Id = 1, Name = "Alice" });
        var arranged = host.Journal.LastSequence;

        var first = await host.Generic.ReadAsync<User>(1);
        var second = await host.Generic.ReadAsync<User>(1);

        Assert.False(first.Hit);
        Assert.True(second.Hit);
        Assert.Equal("Alice", second.Value!.Name);
        Assert.Equal(
            [(CacheEventKind.Miss, "User.1"), (CacheEventKind.Populate, "User.1"), (CacheEventKind.Hit, "User.1")],
            host.Journal.ReadAfter(arranged).Select(e => (e.Kind, e.Key)));
        Assert.Equal(1, host.Cache.GetStats().DbQueries);
    }

    [Fact]
    public async Task Get_MissingRow_ReturnsNullAndCachesNothing()
    {
        await using var host = await EngineHost.StartAsync();

        var user = await host.Generic.GetAsync<User>(42);

        Assert.Null(user);
        Assert.Equal([CacheEventKind.Miss], host.Events().Select(e => e.Kind));
        Assert.Equal(0, host.Cache.Store.Count);
    }

    [Fact]
    public async Task Set_SavesThenInvalidates_NextGetReadsTheNewRow()
    {
        await using var host = await EngineHost.StartAsync();
        await host.Generic.SetAsync(1, new User { Name = "Alice" });
        await host.Generic.GetAsync<User>(1);

        await host.Generic.SetAsync(1, new User { Name = "Jane" });
        var read = await host.Generic.ReadAsync<User>(1);

        Assert.False(read.Hit);
        Assert.Equal("Jane", read.Value!.Name);
        Assert.Equal("Jane", (await host.Repository.FindAsync<User>(1))!.Name);
    }

    [Fact]
    public async Task Remove_DeletesThenInvalidates()
    {
        await using var host = await EngineHost.StartAsync();
        await host.Generic.SetAsync(1, new User { Name = "Alice" });
        await host.Generic.GetAsync<User>(1);

        var removed = await host.Generic.RemoveAsync<User>(1);

        Assert.True(removed);
        Assert.Null(await host.Repository.FindAsync<User>(1));
        Assert.Equal(CacheEventKind.Invalidate, host.Events()[^1].Kind);
        Assert.Null(await host.Generic.GetAsync<User>(1));
    }

    [Fact]
    public async Task SameIdOfTwoTypes_HaveTwoKeys_AndNeverClash()
    {
        await using var host = await EngineHost.StartAsync();
        await host.Generic.SetAsync(1, new User { Name = "Alice" });
        await host.Generic.SetAsync(1, new Team { Name = "Dev" });

        var user = await host.Generic.GetAsync<User>(1);
        var team = await host.Generic.GetAsync<Team>(1);

        Assert.Equal("Alice", user!.Name);
        Assert.Equal("Dev", team!.Name);
        Assert.DoesNotContain(host.Events(), e => e.Kind == CacheEventKind.Clash);
        Assert.Equal(["Team.1", "User.1"], (await host.Cache.Store.ListAsync()).Select(e => e.Key));
    }

    [Fact]
    public async Task ModelCache_ReachesTheCacheThroughTheModelsType()
    {
        await using var host = await EngineHost.StartAsync();
        var teams = host.Get<ModelCache<Team>>();

        await teams.SetAsync(1, new Team { Name = "Dev" });
        var first = await teams.ReadAsync(1);
        var second = await teams.ReadAsync(1);

        Assert.False(first.Hit);
        Assert.True(second.Hit);
        Assert.Equal("Team.1", host.Events()[^1].Key);
    }

    [Fact]
    public async Task PopulatedEntry_CarriesJsonSizeAndTtl()
    {
        await using var host = await EngineHost.StartAsync(s => s["Cache:DefaultTtl"] = "00:02:00");
        await host.Generic.SetAsync(7, new User { Name = "<b>Ann</b>" });
        await host.Generic.GetAsync<User>(7);

        var entry = Assert.Single(await host.Cache.Store.ListAsync());

        Assert.Equal("User", entry.EntityType);
        Assert.Contains("\"name\": \"\\u003Cb\\u003EAnn\\u003C/b\\u003E\"", entry.Json, StringComparison.Ordinal);
        // The size is the compact JSON's (what Redis would hold), not the indented text the dashboard shows.
        Assert.Equal(System.Text.Json.JsonSerializer.SerializeToUtf8Bytes(entry.Value, new System.Text.Json.JsonSerializerOptions(CacheJson.Options) { WriteIndented = false }).Length, entry.SizeBytes);
        Assert.True(entry.SizeBytes < System.Text.Encoding.UTF8.GetByteCount(entry.Json));
        Assert.Equal(TimeSpan.FromMinutes(2), entry.AbsoluteExpiration - entry.CreatedAt);
    }

    [Fact]
    public async Task ExplicitStyles_InvalidateTheirKeyOnce()
    {
        // The style's write leaves the by-id key to the style, which invalidates it itself: once, not once more after commit.
        await using var host = await EngineHost.StartAsync();
        await host.Repository.UpsertAsync(new User { Id = 1, Name = "Alice" });
        await host.Generic.ReadAsync<User>(1);
        Assert.True((await host.Generic.ReadAsync<User>(1)).Hit);
        var arranged = host.Journal.LastSequence;

        await host.Generic.SetAsync(1, new User { Name = "Jane" });

        Assert.Single(host.Journal.ReadAfter(arranged), e => e.Kind == CacheEventKind.Invalidate && e.Key == "User.1");
    }

    [Fact]
    public async Task ExplicitStyleWrite_StillInvalidatesTheTablesQueries()
    {
        await using var host = await EngineHost.StartAsync();
        await using (var db = host.NewContext())
        {
            db.Users.AddRange(new User { Id = 1, Name = "Alice" }, new User { Id = 2, Name = "Anna" }, new User { Id = 3, Name = "Bob" });
            await db.SaveChangesAsync();
        }

        async Task<List<string>> NamesStartingWithAAsync()
        {
            await using var db = host.NewContext();
            return await db.Users.AsNoTracking().Where(u => u.Name.StartsWith("A")).OrderBy(u => u.Id).Select(u => u.Name).Cacheable().ToListAsync();
        }

        await NamesStartingWithAAsync();

        await host.Generic.SetAsync(5, new User { Name = "Abe" });

        Assert.Equal(["Alice", "Anna", "Abe"], await NamesStartingWithAAsync());
    }

    [Fact]
    public async Task Flush_InvalidatesEveryKey()
    {
        await using var host = await EngineHost.StartAsync();
        await host.Generic.SetAsync(1, new User { Name = "Alice" });
        await host.Generic.SetAsync(1, new Team { Name = "Dev" });
        await host.Generic.GetAsync<User>(1);
        await host.Generic.GetAsync<Team>(1);

        var removed = await host.Cache.FlushAsync();

        Assert.Equal(2, removed);
        Assert.Equal(0, host.Cache.Store.Count);
        Assert.Equal(2, host.Events().Count(e => e.Kind == CacheEventKind.Invalidate && e.Detail == "flush"));
    }
}
