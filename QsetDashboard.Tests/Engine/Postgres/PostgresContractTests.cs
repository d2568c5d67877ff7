using Microsoft.EntityFrameworkCore;
using Qset.Caching;
using QsetDashboard.Tests.Infrastructure;

namespace QsetDashboard.Tests.Engine.Postgres;

/// <summary>
/// The engine's promises on a real PostgreSQL, as on SQLite: every write path invalidates after commit what it wrote,
/// raw SQL in PostgreSQL's own forms included, and a rollback invalidates nothing.
/// </summary>
[Collection(PostgresCollection.Name)]
public sealed class PostgresContractTests(PostgresServer server)
{
    private async Task<EngineOnlyHost> StartWithCachedBookAsync(Action<Dictionary<string, string?>>? configure = null)
    {
        var host = await EngineOnlyHost.StartAsync(configure, postgres: await server.CreateDatabaseAsync());
        await host.AddBookAsync(1, "first");
        await host.Entities.ReadAsync<Book>([1]);
        Assert.True((await host.Entities.ReadAsync<Book>([1])).Hit, "book 1 is cached before the write");
        return host;
    }

    private static async Task<Book?> FreshAsync(EngineOnlyHost host)
    {
        var read = await host.Entities.ReadAsync<Book>([1]);
        Assert.False(read.Hit, "the write invalidated book 1");
        return read.Value;
    }

    [Fact]
    public async Task SaveChanges_InvalidatesTheRow()
    {
        await using var host = await StartWithCachedBookAsync();
        await using (var db = host.NewContext())
        {
            (await db.Books.FindAsync(1))!.Title = "renamed";
            await db.SaveChangesAsync();
        }

        Assert.Equal("renamed", (await FreshAsync(host))!.Title);
    }

    [Fact]
    public async Task ExecuteUpdateAndExecuteDelete_Invalidate()
    {
        await using var host = await StartWithCachedBookAsync();
        await using (var db = host.NewContext())
        {
            await db.Books.Where(b => b.Id == 1).ExecuteUpdateAsync(s => s.SetProperty(b => b.Title, "updated"));
        }

        Assert.Equal("updated", (await FreshAsync(host))!.Title);
        await using (var db = host.NewContext())
        {
            await db.Books.Where(b => b.Id == 1).ExecuteDeleteAsync();
        }

        Assert.Null(await FreshAsync(host));
    }

    [Theory]
    [InlineData("""UPDATE "public"."Books" SET "Title" = 'raw' WHERE "Id" = 1""")]
    [InlineData("""update public."Books" b set "Title" = 'raw' where b."Id" = 1""")]
    [InlineData("""WITH moved AS (UPDATE "Books" SET "Title" = 'raw' WHERE "Id" = 1 RETURNING "Id") SELECT count(*) FROM moved""")]
    [InlineData("""INSERT INTO "Books" ("Id", "Title") VALUES (1, 'raw') ON CONFLICT ("Id") DO UPDATE SET "Title" = excluded."Title" """)]
    public async Task RawSql_InPostgresForms_Invalidates(string sql)
    {
        await using var host = await StartWithCachedBookAsync();
        await using (var db = host.NewContext())
        {
            await db.Database.ExecuteSqlRawAsync(sql);
        }

        Assert.Equal("raw", (await FreshAsync(host))!.Title);
    }

    [Fact]
    public async Task Truncate_Invalidates()
    {
        await using var host = await StartWithCachedBookAsync();
        await using (var db = host.NewContext())
        {
            await db.Database.ExecuteSqlRawAsync("""TRUNCATE "Books" """);
        }

        Assert.Null(await FreshAsync(host));
    }

    [Fact]
    public async Task ARolledBackTransaction_InvalidatesNothing_ACommittedOneDoes()
    {
        await using var host = await StartWithCachedBookAsync();
        await using (var db = host.NewContext())
        {
            await using var transaction = await db.Database.BeginTransactionAsync();
            (await db.Books.FindAsync(1))!.Title = "never";
            await db.SaveChangesAsync();
            await transaction.RollbackAsync();
        }

        var kept = await host.Entities.ReadAsync<Book>([1]);
        Assert.True(kept.Hit);
        Assert.Equal("first", kept.Value!.Title);

        await using (var db = host.NewContext())
        {
            await using var transaction = await db.Database.BeginTransactionAsync();
            (await db.Books.FindAsync(1))!.Title = "committed";
            await db.SaveChangesAsync();
            await transaction.CommitAsync();
        }

        Assert.Equal("committed", (await FreshAsync(host))!.Title);
    }

    [Fact]
    public async Task ACachedQuery_IsServedThenInvalidatedByAnInsert()
    {
        await using var host = await StartWithCachedBookAsync();
        async Task<int> CountAsync()
        {
            await using var db = host.NewContext();
            return (await db.Books.Cacheable().ToListAsync()).Count;
        }

        Assert.Equal(1, await CountAsync());
        var hitsBefore = host.Cache.GetStats().Hits;
        Assert.Equal(1, await CountAsync());
        Assert.Equal(hitsBefore + 1, host.Cache.GetStats().Hits);

        await host.AddBookAsync(2, "second");

        Assert.Equal(2, await CountAsync());
    }

    [Fact]
    public async Task GuidAndCompositeKeys_AreInvalidatedBySaveChanges()
    {
        await using var host = await EngineOnlyHost.StartAsync(postgres: await server.CreateDatabaseAsync());
        var shelf = Guid.NewGuid();
        await using (var db = host.NewContext())
        {
            db.Shelves.Add(new Shelf { Id = shelf, Name = "top" });
            db.Loans.Add(new Loan { BookId = 3, Reader = "Doe, Jane", Note = "due" });
            await db.SaveChangesAsync();
        }

        await host.Entities.ReadAsync<Shelf>([shelf]);
        await host.Entities.ReadAsync<Loan>([3, "Doe, Jane"]);
        await using (var db = host.NewContext())
        {
            (await db.Shelves.FindAsync(shelf))!.Name = "bottom";
            (await db.Loans.FindAsync(3, "Doe, Jane"))!.Note = "returned";
            await db.SaveChangesAsync();
        }

        Assert.Equal("bottom", (await host.Entities.ReadAsync<Shelf>([shelf])).Value!.Name);
        Assert.Equal("returned", (await host.Entities.ReadAsync<Loan>([3, "Doe, Jane"])).Value!.Note);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task AnInsertWithADatabaseGeneratedKey_IsInvalidatedUnderTheKeyTheDatabaseGave(bool inTransaction)
    {
        await using var host = await EngineOnlyHost.StartAsync(postgres: await server.CreateDatabaseAsync());
        await Invalidation.GeneratedKeyTests.AssertNamedByItsGeneratedKeyAsync(host, inTransaction);
    }
}
