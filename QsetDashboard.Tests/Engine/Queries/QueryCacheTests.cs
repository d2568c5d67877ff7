using Microsoft.EntityFrameworkCore;
using Qset.Caching;
using Qset.Caching.Queries;
using QsetDashboard.Tests.Infrastructure;

namespace QsetDashboard.Tests.Engine.Queries;

/// <summary><c>.Cacheable()</c> LINQ queries through the engine, over real SQLite.</summary>
public sealed class QueryCacheTests
{
    private static async Task<EngineOnlyHost> StartWithBooksAsync()
    {
        var host = await EngineOnlyHost.StartAsync();
        await using var db = host.NewContext();
        db.Books.AddRange(new Book { Id = 1, Title = "Anathem" }, new Book { Id = 2, Title = "Amerika" }, new Book { Id = 3, Title = "Beloved" });
        await db.SaveChangesAsync();
        return host;
    }

    private static async Task<List<string>> TitlesStartingWithAsync(EngineOnlyHost host, string prefix, TimeSpan? ttl = null)
    {
        await using var db = host.NewContext();
        return await db.Books.AsNoTracking()
            .Where(b => b.Title.StartsWith(prefix))
            .OrderBy(b => b.Id)
            .Select(b => b.Title)
            .Cacheable(ttl)
            .ToListAsync();
    }

    private static IReadOnlyList<CacheEvent> QueryEvents(EngineOnlyHost host) =>
        [.. host.Events().Where(e => e.EntityType == QueryKeys.EntityType)];

    [Fact]
    public async Task SameQuerySameValues_MissesThenHits_UnderOneKey()
    {
        await using var host = await StartWithBooksAsync();

        var first = await TitlesStartingWithAsync(host, "A");
        var second = await TitlesStartingWithAsync(host, "A");

        Assert.Equal(["Anathem", "Amerika"], first);
        Assert.Equal(first, second);
        var events = QueryEvents(host);
        Assert.Equal([CacheEventKind.Miss, CacheEventKind.Populate, CacheEventKind.Hit], events.Select(e => e.Kind));
        Assert.Single(events.Select(e => e.Key).Distinct());
        Assert.StartsWith("Query.LibraryDb:Book.", events[0].Key, StringComparison.Ordinal);
        Assert.Single(await host.Cache.Store.ListAsync(), e => e.Key == events[0].Key);
    }

    [Fact]
    public async Task SameQueryOtherValues_GetsAnotherKey()
    {
        await using var host = await StartWithBooksAsync();

        var a = await TitlesStartingWithAsync(host, "A");
        var b = await TitlesStartingWithAsync(host, "B");

        Assert.Equal(["Beloved"], b);
        var misses = QueryEvents(host).Where(e => e.Kind == CacheEventKind.Miss).Select(e => e.Key).ToList();
        Assert.Equal(2, misses.Count);
        Assert.NotEqual(misses[0], misses[1]);
        Assert.DoesNotContain(QueryEvents(host), e => e.Kind == CacheEventKind.Hit);
    }

    [Fact]
    public async Task WriteToTheTable_InvalidatesTheResult_NextRunIsFresh()
    {
        await using var host = await StartWithBooksAsync();
        await TitlesStartingWithAsync(host, "A");
        var key = QueryEvents(host)[0].Key;

        await using (var db = host.NewContext())
        {
            db.Books.Add(new Book { Id = 4, Title = "Arcadia" });
            await db.SaveChangesAsync();
        }

        var invalidate = host.Events().Single(e => e.Kind == CacheEventKind.Invalidate && e.Key == key);
        Assert.Equal("SaveChanges committed: LibraryDb:Book added", invalidate.Detail);
        Assert.Equal(["Anathem", "Amerika", "Arcadia"], await TitlesStartingWithAsync(host, "A"));
        Assert.Equal(CacheEventKind.Populate, QueryEvents(host)[^1].Kind);
    }

    [Fact]
    public async Task WriteToAnotherTable_LeavesTheResultCached()
    {
        await using var host = await StartWithBooksAsync();
        await TitlesStartingWithAsync(host, "A");

        await using (var db = host.NewContext())
        {
            db.Shelves.Add(new Shelf { Id = Guid.NewGuid(), Name = "fiction" });
            await db.SaveChangesAsync();
        }

        await TitlesStartingWithAsync(host, "A");
        Assert.Equal(CacheEventKind.Hit, QueryEvents(host)[^1].Kind);
    }

    [Fact]
    public async Task RawSqlWrite_InvalidatesTheResult()
    {
        await using var host = await StartWithBooksAsync();
        await TitlesStartingWithAsync(host, "A");

        await using (var db = host.NewContext())
        {
            await db.Database.ExecuteSqlRawAsync("DELETE FROM \"Books\" WHERE \"Title\" = 'Amerika'");
        }

        Assert.Equal(["Anathem"], await TitlesStartingWithAsync(host, "A"));
        Assert.Contains(host.Events(), e => e.Kind == CacheEventKind.Invalidate && e.Detail == "raw SQL DELETE on Books");
    }

    [Fact]
    public async Task VersionBumpedElsewhere_MakesTheResultStale()
    {
        await using var host = await StartWithBooksAsync();
        await TitlesStartingWithAsync(host, "A");

        host.Cache.Versions.BumpWrite("LibraryDb:Book");
        await TitlesStartingWithAsync(host, "A");

        Assert.Equal(
            [CacheEventKind.Miss, CacheEventKind.Populate, CacheEventKind.Invalidate, CacheEventKind.Miss, CacheEventKind.Populate],
            QueryEvents(host).Select(e => e.Kind));
    }

    [Fact]
    public async Task InsideATransaction_ReadsTheDatabase_AndCachesNothing()
    {
        await using var host = await StartWithBooksAsync();
        await using var db = host.NewContext();
        await using var transaction = await db.Database.BeginTransactionAsync();
        db.Books.Add(new Book { Id = 9, Title = "Uncommitted" });
        await db.SaveChangesAsync();

        var titles = await db.Books.Where(b => b.Title.StartsWith("U")).Select(b => b.Title).Cacheable().ToListAsync();
        await transaction.RollbackAsync();

        Assert.Equal(["Uncommitted"], titles);
        var miss = Assert.Single(QueryEvents(host));
        Assert.Equal(QueryCacheInterceptor.InTransactionDetail, miss.Detail);
        Assert.Equal(0, host.Cache.Store.Count);
    }

    [Fact]
    public async Task Ttl_IsTheEntrysLifetime()
    {
        await using var host = await StartWithBooksAsync();

        await TitlesStartingWithAsync(host, "A", TimeSpan.FromSeconds(42));

        var entry = Assert.Single(await host.Cache.Store.ListAsync(), e => e.EntityType == QueryKeys.EntityType);
        Assert.Equal(TimeSpan.FromSeconds(42), entry.AbsoluteExpiration - entry.CreatedAt);
        Assert.Contains("Anathem", entry.Json, StringComparison.Ordinal);
    }

    [Fact]
    public async Task TrackedEntities_FromACachedResult_AreFreshInstances_AndSaveAsUsual()
    {
        await using var host = await StartWithBooksAsync();
        await using (var warm = host.NewContext())
        {
            await warm.Books.Where(b => b.Id == 3).Cacheable().SingleAsync();
        }

        await using var db = host.NewContext();
        var beloved = await db.Books.Where(b => b.Id == 3).Cacheable().SingleAsync();
        beloved.Title = "Bleak House";
        await db.SaveChangesAsync();

        Assert.Equal([CacheEventKind.Miss, CacheEventKind.Populate, CacheEventKind.Hit, CacheEventKind.Invalidate], QueryEvents(host).Select(e => e.Kind));
        await using var reader = host.NewContext();
        Assert.Equal("Bleak House", (await reader.Books.AsNoTracking().SingleAsync(b => b.Id == 3)).Title);
    }

    [Fact]
    public async Task CountAndFirst_AreCachedToo_SyncAndAsync()
    {
        await using var host = await StartWithBooksAsync();
        await using var db = host.NewContext();

        var count1 = await db.Books.Cacheable().CountAsync();
        var count2 = db.Books.Cacheable().Count();
        var first = db.Books.OrderBy(b => b.Id).Cacheable().First();

        Assert.Equal(3, count1);
        Assert.Equal(3, count2);
        Assert.Equal("Anathem", first.Title);
        Assert.Equal(
            [CacheEventKind.Miss, CacheEventKind.Populate, CacheEventKind.Hit, CacheEventKind.Miss, CacheEventKind.Populate],
            QueryEvents(host).Select(e => e.Kind));
    }

    [Fact]
    public void Cacheable_RejectsANonPositiveTtl()
    {
        IQueryable<Book> query = Array.Empty<Book>().AsQueryable();

        Assert.Throws<ArgumentOutOfRangeException>(() => query.Cacheable(TimeSpan.Zero));
    }
}
