using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Qset.Caching;
using QsetDashboard.Tests.Infrastructure;

namespace QsetDashboard.Tests.Engine.Invalidation;

/// <summary>Writes through the tests' own context invalidate what they wrote, after commit, on every write path.</summary>
public sealed class AfterCommitTests
{
    private static async Task<EngineOnlyHost> StartWithCachedBooksAsync(params int[] ids)
    {
        var host = await EngineOnlyHost.StartAsync();
        foreach (var id in ids)
        {
            await host.AddBookAsync(id, $"book {id}");
            await host.Entities.FindAsync<Book>(id);
        }

        return host;
    }

    [Fact]
    public async Task SaveChanges_InvalidatesTheWrittenRowsKey_SoTheNextReadIsFresh()
    {
        await using var host = await StartWithCachedBooksAsync(1, 2);
        await using (var db = host.NewContext())
        {
            (await db.Books.FindAsync(1))!.Title = "renamed";
            await db.SaveChangesAsync();
        }

        var read = await host.Entities.ReadAsync<Book>([1]);

        Assert.False(read.Hit);
        Assert.Equal("renamed", read.Value!.Title);
        Assert.True((await host.Entities.ReadAsync<Book>([2])).Hit, "a row the write did not touch stays cached");
    }

    [Fact]
    public async Task ARolledBackTransaction_InvalidatesNothing()
    {
        await using var host = await StartWithCachedBooksAsync(1);
        var before = host.Events()[^1].Sequence;
        await using (var db = host.NewContext())
        {
            await using var transaction = await db.Database.BeginTransactionAsync();
            (await db.Books.FindAsync(1))!.Title = "never committed";
            await db.SaveChangesAsync();
            await transaction.RollbackAsync();
        }

        var read = await host.Entities.ReadAsync<Book>([1]);

        Assert.True(read.Hit);
        Assert.Equal("book 1", read.Value!.Title);
        Assert.DoesNotContain(host.Events(), e => e.Sequence > before && e.Kind == CacheEventKind.Invalidate);
    }

    [Fact]
    public async Task ExecuteUpdate_InvalidatesEveryCachedRowOfItsTable_AndNoOtherTable()
    {
        await using var host = await StartWithCachedBooksAsync(1, 2, 3);
        var shelf = Guid.NewGuid();
        await using (var db = host.NewContext())
        {
            db.Shelves.Add(new Shelf { Id = shelf, Name = "fiction" });
            await db.SaveChangesAsync();
        }

        await host.Entities.FindAsync<Shelf>(shelf);
        await using (var db = host.NewContext())
        {
            await db.Books.Where(b => b.Id < 3).ExecuteUpdateAsync(s => s.SetProperty(b => b.Title, "bulk"));
        }

        foreach (var id in new[] { 1, 2, 3 })
        {
            Assert.Null(await host.Browser.PeekAsync(host.Entities.KeyOf<Book>(id)));
        }

        Assert.Equal("bulk", (await host.Entities.FindAsync<Book>(1))!.Title);
        Assert.True((await host.Entities.ReadAsync<Shelf>([shelf])).Hit, "the shelves' table was not written");
    }

    [Fact]
    public async Task AContextThatLeavesByIdKeysToItsCaller_KeepsTheKey_ButItsTablesQueriesAreStillInvalidated()
    {
        await using var host = await StartWithCachedBooksAsync(1);
        await using (var db = host.NewContext())
        {
            Assert.Single(await db.Books.Where(b => b.Title == "book 1").Cacheable().ToListAsync());
        }

        await using (var db = host.NewContext().LeaveByIdKeysToCaller())
        {
            (await db.Books.FindAsync(1))!.Title = "renamed";
            await db.SaveChangesAsync();
        }

        Assert.NotNull(await host.Browser.PeekAsync(host.Entities.KeyOf<Book>(1)));
        await using (var db = host.NewContext())
        {
            Assert.Empty(await db.Books.Where(b => b.Title == "book 1").Cacheable().ToListAsync());
        }
    }

    [Fact]
    public async Task APooledContextMarkedByAnEarlierCaller_InvalidatesItsRowsKeysAgain_OnceThePoolHandsItOut()
    {
        var database = new TestDatabase();
        var services = new ServiceCollection();
        services.AddLogging();
        services.AddQsetCache(new ConfigurationBuilder().Build());
        services.AddPooledDbContextFactory<LibraryDb>((sp, o) => o.UseSqlite(database.ConnectionString).UseQsetCache(sp));
        await using var provider = services.BuildServiceProvider();
        var factory = provider.GetRequiredService<IDbContextFactory<LibraryDb>>();
        var books = provider.GetRequiredService<EntityCache<LibraryDb>>();
        try
        {
            LibraryDb marked;
            await using (var db = await factory.CreateDbContextAsync())
            {
                await db.Database.EnsureCreatedAsync();
                marked = db.LeaveByIdKeysToCaller();
                db.Books.Add(new Book { Id = 1, Title = "first" });
                await db.SaveChangesAsync();
            }

            Assert.Equal("first", (await books.FindAsync<Book>(1))!.Title);
            await using (var db = await factory.CreateDbContextAsync())
            {
                Assert.Same(marked, db);
                (await db.Books.FindAsync(1))!.Title = "second";
                await db.SaveChangesAsync();
            }

            Assert.Equal("second", (await books.FindAsync<Book>(1))!.Title);
        }
        finally
        {
            database.Dispose();
        }
    }

    [Fact]
    public async Task AReadInsideAnOpenTransaction_IsServed_ButNeverCached()
    {
        await using var host = await EngineOnlyHost.StartAsync();
        await host.AddBookAsync(5, "before");
        await using (var db = host.NewContext())
        {
            await using var transaction = await db.Database.BeginTransactionAsync();
            (await db.Books.FindAsync(5))!.Title = "uncommitted";
            await db.SaveChangesAsync();
            var rows = await db.Books.Where(b => b.Id == 5).Cacheable().ToListAsync();
            Assert.Equal("uncommitted", Assert.Single(rows).Title);
            await transaction.RollbackAsync();
        }

        await using (var db = host.NewContext())
        {
            Assert.Equal("before", Assert.Single(await db.Books.Where(b => b.Id == 5).Cacheable().ToListAsync()).Title);
        }
    }
}
