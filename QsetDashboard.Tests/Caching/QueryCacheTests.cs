using Microsoft.EntityFrameworkCore;
using Qset.Caching;
using Qset.Caching.Queries;
using QsetDashboard.Data;
using QsetDashboard.Tests.Infrastructure;

namespace QsetDashboard.Tests.Caching;

/// <summary><c>.Cacheable()</c> LINQ queries through the engine, over real SQLite.</summary>
public sealed class QueryCacheTests
{
    private static async Task<EngineHost> StartWithUsersAsync()
    {
        var host = await EngineHost.StartAsync();
        await using var db = host.NewContext();
        db.Users.AddRange(new User { Id = 1, Name = "Alice" }, new User { Id = 2, Name = "Anna" }, new User { Id = 3, Name = "Bob" });
        await db.SaveChangesAsync();
        return host;
    }

    private static async Task<List<string>> NamesStartingWithAsync(EngineHost host, string prefix, TimeSpan? ttl = null)
    {
        await using var db = host.NewContext();
        return await db.Users.AsNoTracking()
            .Where(u => u.Name.StartsWith(prefix))
            .OrderBy(u => u.Id)
            .Select(u => u.Name)
            .Cacheable(ttl)
            .ToListAsync();
    }

    private static IReadOnlyList<CacheEvent> QueryEvents(EngineHost host) =>
        [.. host.Events().Where(e => e.EntityType == QueryKeys.EntityType)];

    [Fact]
    public async Task SameQuerySameValues_MissesThenHits_UnderOneKey()
    {
        await using var host = await StartWithUsersAsync();

        var first = await NamesStartingWithAsync(host, "A");
        var second = await NamesStartingWithAsync(host, "A");

        Assert.Equal(["Alice", "Anna"], first);
        Assert.Equal(first, second);
        var events = QueryEvents(host);
        Assert.Equal([CacheEventKind.Miss, CacheEventKind.Populate, CacheEventKind.Hit], events.Select(e => e.Kind));
        Assert.Single(events.Select(e => e.Key).Distinct());
        Assert.StartsWith("Query.User.", events[0].Key, StringComparison.Ordinal);
        Assert.Single(await host.Cache.Store.ListAsync(), e => e.Key == events[0].Key);
    }

    [Fact]
    public async Task SameQueryOtherValues_GetsAnotherKey()
    {
        await using var host = await StartWithUsersAsync();

        var a = await NamesStartingWithAsync(host, "A");
        var b = await NamesStartingWithAsync(host, "B");

        Assert.Equal(["Bob"], b);
        var misses = QueryEvents(host).Where(e => e.Kind == CacheEventKind.Miss).Select(e => e.Key).ToList();
        Assert.Equal(2, misses.Count);
        Assert.NotEqual(misses[0], misses[1]);
        Assert.DoesNotContain(QueryEvents(host), e => e.Kind == CacheEventKind.Hit);
    }

    [Fact]
    public async Task WriteToTheTable_InvalidatesTheResult_NextRunIsFresh()
    {
        await using var host = await StartWithUsersAsync();
        await NamesStartingWithAsync(host, "A");
        var key = QueryEvents(host)[0].Key;

        await using (var db = host.NewContext())
        {
            db.Users.Add(new User { Id = 4, Name = "Ava" });
            await db.SaveChangesAsync();
        }

        var invalidate = host.Events().Single(e => e.Kind == CacheEventKind.Invalidate && e.Key == key);
        Assert.Equal("SaveChanges committed: User added", invalidate.Detail);
        Assert.Equal(["Alice", "Anna", "Ava"], await NamesStartingWithAsync(host, "A"));
        Assert.Equal(CacheEventKind.Populate, QueryEvents(host)[^1].Kind);
    }

    [Fact]
    public async Task WriteToAnotherTable_LeavesTheResultCached()
    {
        await using var host = await StartWithUsersAsync();
        await NamesStartingWithAsync(host, "A");

        await using (var db = host.NewContext())
        {
            db.Teams.Add(new Team { Id = 1, Name = "Dev" });
            await db.SaveChangesAsync();
        }

        await NamesStartingWithAsync(host, "A");
        Assert.Equal(CacheEventKind.Hit, QueryEvents(host)[^1].Kind);
    }

    [Fact]
    public async Task ExplicitStyleWrite_StillInvalidatesTheTablesQueries()
    {
        await using var host = await StartWithUsersAsync();
        await NamesStartingWithAsync(host, "A");

        await host.Generic.SetAsync(5, new User { Name = "Abe" });

        Assert.Equal(["Alice", "Anna", "Abe"], await NamesStartingWithAsync(host, "A"));
    }

    [Fact]
    public async Task RawSqlWrite_InvalidatesTheResult()
    {
        await using var host = await StartWithUsersAsync();
        await NamesStartingWithAsync(host, "A");

        await using (var db = host.NewContext())
        {
            await db.Database.ExecuteSqlRawAsync("DELETE FROM \"Users\" WHERE \"Name\" = 'Anna'");
        }

        Assert.Equal(["Alice"], await NamesStartingWithAsync(host, "A"));
        Assert.Contains(host.Events(), e => e.Kind == CacheEventKind.Invalidate && e.Detail == "raw SQL DELETE on Users");
    }

    [Fact]
    public async Task VersionBumpedElsewhere_MakesTheResultStale()
    {
        await using var host = await StartWithUsersAsync();
        await NamesStartingWithAsync(host, "A");

        host.Cache.Versions.BumpWrite("User");
        await NamesStartingWithAsync(host, "A");

        Assert.Equal(
            [CacheEventKind.Miss, CacheEventKind.Populate, CacheEventKind.Invalidate, CacheEventKind.Miss, CacheEventKind.Populate],
            QueryEvents(host).Select(e => e.Kind));
    }

    [Fact]
    public async Task InsideATransaction_ReadsTheDatabase_AndCachesNothing()
    {
        await using var host = await StartWithUsersAsync();
        await using var db = host.NewContext();
        await using var transaction = await db.Database.BeginTransactionAsync();
        db.Users.Add(new User { Id = 9, Name = "Uncommitted" });
        await db.SaveChangesAsync();

        var names = await db.Users.Where(u => u.Name.StartsWith("U")).Select(u => u.Name).Cacheable().ToListAsync();
        await transaction.RollbackAsync();

        Assert.Equal(["Uncommitted"], names);
        var miss = Assert.Single(QueryEvents(host));
        Assert.Equal(QueryCacheInterceptor.InTransactionDetail, miss.Detail);
        Assert.Equal(0, host.Cache.Store.Count);
    }

    [Fact]
    public async Task Ttl_IsTheEntrysLifetime()
    {
        await using var host = await StartWithUsersAsync();

        await NamesStartingWithAsync(host, "A", TimeSpan.FromSeconds(42));

        var entry = Assert.Single(await host.Cache.Store.ListAsync(), e => e.EntityType == QueryKeys.EntityType);
        Assert.Equal(TimeSpan.FromSeconds(42), entry.AbsoluteExpiration - entry.CreatedAt);
        Assert.Contains("Alice", entry.Json, StringComparison.Ordinal);
    }

    [Fact]
    public async Task TrackedEntities_FromACachedResult_AreFreshInstances_AndSaveAsUsual()
    {
        await using var host = await StartWithUsersAsync();
        await using (var warm = host.NewContext())
        {
            await warm.Users.Where(u => u.Id == 3).Cacheable().SingleAsync();
        }

        await using var db = host.NewContext();
        var bob = await db.Users.Where(u => u.Id == 3).Cacheable().SingleAsync();
        bob.Name = "Robert";
        await db.SaveChangesAsync();

        Assert.Equal([CacheEventKind.Miss, CacheEventKind.Populate, CacheEventKind.Hit, CacheEventKind.Invalidate], QueryEvents(host).Select(e => e.Kind));
        Assert.Equal("Robert", (await host.Repository.FindAsync<User>(3))!.Name);
    }

    [Fact]
    public async Task CountAndFirst_AreCachedToo_SyncAndAsync()
    {
        await using var host = await StartWithUsersAsync();
        await using var db = host.NewContext();

        var count1 = await db.Users.Cacheable().CountAsync();
        var count2 = db.Users.Cacheable().Count();
        var first = db.Users.OrderBy(u => u.Id).Cacheable().First();

        Assert.Equal(3, count1);
        Assert.Equal(3, count2);
        Assert.Equal("Alice", first.Name);
        Assert.Equal(
            [CacheEventKind.Miss, CacheEventKind.Populate, CacheEventKind.Hit, CacheEventKind.Miss, CacheEventKind.Populate],
            QueryEvents(host).Select(e => e.Kind));
    }

    [Fact]
    public void Cacheable_RejectsANonPositiveTtl()
    {
        IQueryable<User> query = Array.Empty<User>().AsQueryable();

        Assert.Throws<ArgumentOutOfRangeException>(() => query.Cacheable(TimeSpan.Zero));
    }
}
