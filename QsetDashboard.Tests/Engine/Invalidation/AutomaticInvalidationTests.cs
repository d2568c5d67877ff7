using Microsoft.EntityFrameworkCore;
using Qset.Caching;

namespace QsetDashboard.Tests.Engine.Invalidation;

/// <summary>Every write path invalidates by itself, after commit, over real SQLite.</summary>
public sealed class AutomaticInvalidationTests
{
    private long _mark;

    /// <summary>A host whose book 1 is cached; the events of this arrangement are left out of <see cref="Acted"/>.</summary>
    private async Task<EngineOnlyHost> StartWithCachedBookAsync(Func<EngineOnlyHost, Task>? arrange = null)
    {
        var host = await EngineOnlyHost.StartAsync();
        await host.AddBookAsync(1, "Dune");
        if (arrange is not null)
        {
            await arrange(host);
        }

        await host.Entities.ReadAsync<Book>([1]);
        Assert.True((await host.Entities.ReadAsync<Book>([1])).Hit);
        _mark = host.Journal.LastSequence;
        return host;
    }

    /// <summary>The events raised after the arrangement.</summary>
    private IReadOnlyList<CacheEvent> Acted(EngineOnlyHost host) => host.Journal.ReadAfter(_mark);

    private CacheEvent LastInvalidate(EngineOnlyHost host, string key) =>
        Acted(host).Last(e => e.Kind == CacheEventKind.Invalidate && e.Key == key);

    [Fact]
    public async Task Add_ThroughAPlainContext_InvalidatesItsKey_SayingWhy()
    {
        await using var host = await EngineOnlyHost.StartAsync();

        await using (var db = host.NewContext())
        {
            db.Books.Add(new Book { Id = 1, Title = "Dune" });
            await db.SaveChangesAsync();
        }

        var invalidate = LastInvalidate(host, "LibraryDb:Book.1");
        Assert.Equal("SaveChanges committed: LibraryDb:Book added", invalidate.Detail);
        Assert.Equal("ef", invalidate.Source);
        Assert.Equal("LibraryDb:Book", invalidate.EntityType);
    }

    [Fact]
    public async Task Update_ThroughAPlainContext_InvalidatesItsKey_NextReadSeesTheNewRow()
    {
        await using var host = await StartWithCachedBookAsync();

        await using (var db = host.NewContext())
        {
            var book = await db.Books.SingleAsync(b => b.Id == 1);
            book.Title = "Emma";
            await db.SaveChangesAsync();
        }

        Assert.Equal("SaveChanges committed: LibraryDb:Book modified", LastInvalidate(host, "LibraryDb:Book.1").Detail);
        var read = await host.Entities.ReadAsync<Book>([1]);
        Assert.False(read.Hit);
        Assert.Equal("Emma", read.Value!.Title);
    }

    [Fact]
    public async Task Delete_ThroughAPlainContext_InvalidatesItsKey()
    {
        await using var host = await StartWithCachedBookAsync();

        await using (var db = host.NewContext())
        {
            db.Books.Remove(await db.Books.SingleAsync(b => b.Id == 1));
            await db.SaveChangesAsync();
        }

        Assert.Equal("SaveChanges committed: LibraryDb:Book deleted", LastInvalidate(host, "LibraryDb:Book.1").Detail);
        Assert.Null(await host.Entities.FindAsync<Book>(1));
    }

    [Fact]
    public async Task ExecuteUpdate_InvalidatesTheTablesHeldKeys()
    {
        await using var host = await StartWithCachedBookAsync();

        await using (var db = host.NewContext())
        {
            await db.Books.Where(b => b.Id == 1).ExecuteUpdateAsync(s => s.SetProperty(b => b.Title, "Bulk"));
        }

        Assert.Equal("ExecuteUpdate on Books", LastInvalidate(host, "LibraryDb:Book.1").Detail);
        var read = await host.Entities.ReadAsync<Book>([1]);
        Assert.False(read.Hit);
        Assert.Equal("Bulk", read.Value!.Title);
    }

    [Fact]
    public async Task ExecuteDelete_InvalidatesTheTablesHeldKeys()
    {
        await using var host = await StartWithCachedBookAsync();

        await using (var db = host.NewContext())
        {
            await db.Books.Where(b => b.Title == "Dune").ExecuteDeleteAsync();
        }

        Assert.Equal("ExecuteDelete on Books", LastInvalidate(host, "LibraryDb:Book.1").Detail);
        Assert.Null(await host.Entities.FindAsync<Book>(1));
    }

    [Fact]
    public async Task RawSql_InvalidatesTheTablesItWrites_AndNoOther()
    {
        var shelf = Guid.NewGuid();
        await using var host = await StartWithCachedBookAsync(async h =>
        {
            await using (var db = h.NewContext())
            {
                db.Shelves.Add(new Shelf { Id = shelf, Name = "fiction" });
                await db.SaveChangesAsync();
            }

            await h.Entities.FindAsync<Shelf>(shelf);
        });

        await using (var db = host.NewContext())
        {
            await db.Database.ExecuteSqlRawAsync("UPDATE Books SET Title = 'Raw' WHERE Id = 1 -- not Shelves");
        }

        Assert.Equal("raw SQL UPDATE on Books", LastInvalidate(host, "LibraryDb:Book.1").Detail);
        Assert.Equal("Raw", (await host.Entities.FindAsync<Book>(1))!.Title);
        Assert.True((await host.Entities.ReadAsync<Shelf>([shelf])).Hit);
    }

    [Fact]
    public async Task BulkVersionBumpedElsewhere_MakesAByIdHitStale()
    {
        // Another node's bulk write reaches this one only as a newer table version: the entry must not be served.
        await using var host = await StartWithCachedBookAsync();

        host.Cache.Versions.BumpBulkWrite(host.Entities.EntityName<Book>());
        var read = await host.Entities.ReadAsync<Book>([1]);

        Assert.False(read.Hit);
        Assert.StartsWith("stale: LibraryDb:Book changed by a bulk write", LastInvalidate(host, "LibraryDb:Book.1").Detail, StringComparison.Ordinal);
        Assert.True((await host.Entities.ReadAsync<Book>([1])).Hit);
    }

    [Fact]
    public async Task RowWrite_DoesNotMakeOtherByIdKeysStale()
    {
        await using var host = await StartWithCachedBookAsync();
        await using (var db = host.NewContext())
        {
            db.Books.Add(new Book { Id = 2, Title = "Emma" });
            await db.SaveChangesAsync();
        }

        Assert.True((await host.Entities.ReadAsync<Book>([1])).Hit);
        Assert.Equal(["LibraryDb:Book.2"], Acted(host).Where(e => e.Kind == CacheEventKind.Invalidate).Select(e => e.Key));
    }

    [Fact]
    public async Task ExplicitTransaction_InvalidatesOnlyAtCommit()
    {
        await using var host = await StartWithCachedBookAsync();
        await using var db = host.NewContext();
        await using var transaction = await db.Database.BeginTransactionAsync();
        (await db.Books.SingleAsync(b => b.Id == 1)).Title = "Emma";
        await db.SaveChangesAsync();

        Assert.DoesNotContain(Acted(host), e => e.Kind == CacheEventKind.Invalidate);
        Assert.True((await host.Entities.ReadAsync<Book>([1])).Hit);

        await transaction.CommitAsync();

        Assert.Equal("transaction committed: LibraryDb:Book modified", LastInvalidate(host, "LibraryDb:Book.1").Detail);
        Assert.Equal("Emma", (await host.Entities.FindAsync<Book>(1))!.Title);
    }

    [Fact]
    public async Task Rollback_InvalidatesNothing()
    {
        await using var host = await StartWithCachedBookAsync();
        await using (var db = host.NewContext())
        {
            await using var transaction = await db.Database.BeginTransactionAsync();
            (await db.Books.SingleAsync(b => b.Id == 1)).Title = "Emma";
            await db.SaveChangesAsync();
            await db.Books.Where(b => b.Id == 1).ExecuteUpdateAsync(s => s.SetProperty(b => b.Title, "Bulk"));
            await transaction.RollbackAsync();
        }

        Assert.DoesNotContain(Acted(host), e => e.Kind == CacheEventKind.Invalidate);
        var read = await host.Entities.ReadAsync<Book>([1]);
        Assert.True(read.Hit);
        Assert.Equal("Dune", read.Value!.Title);
        await using (var db = host.NewContext())
        {
            Assert.Equal("Dune", (await db.Books.AsNoTracking().SingleAsync(b => b.Id == 1)).Title);
        }
    }

    [Fact]
    public async Task ExecuteDelete_InATransaction_InvalidatesAtCommit()
    {
        await using var host = await StartWithCachedBookAsync();
        await using var db = host.NewContext();
        await using var transaction = await db.Database.BeginTransactionAsync();
        await db.Books.Where(b => b.Id == 1).ExecuteDeleteAsync();

        Assert.DoesNotContain(Acted(host), e => e.Kind == CacheEventKind.Invalidate);

        await transaction.CommitAsync();

        Assert.Equal("transaction committed: ExecuteDelete on Books", LastInvalidate(host, "LibraryDb:Book.1").Detail);
    }

    [Fact]
    public async Task TwoContextsAtOnce_EachInvalidatesAtItsOwnCommit()
    {
        await using var host = await StartWithCachedBookAsync(async h =>
        {
            await h.AddBookAsync(2, "Emma");
            await h.Entities.FindAsync<Book>(2);
        });
        await using var first = host.NewContext();
        await using var second = host.NewContext();
        await using var transaction = await first.Database.BeginTransactionAsync();

        (await first.Books.SingleAsync(b => b.Id == 1)).Title = "Dune Messiah";
        await first.SaveChangesAsync();
        second.Books.Add(new Book { Id = 3, Title = "Ulysses" });

        // SQLite allows one writer at a time, so the second context saves after the first commits; its invalidation is still its own.
        await transaction.CommitAsync();
        await second.SaveChangesAsync();

        var invalidated = Acted(host).Where(e => e.Kind == CacheEventKind.Invalidate).Select(e => (e.Key, e.Detail)).ToList();
        Assert.Equal([("LibraryDb:Book.1", "transaction committed: LibraryDb:Book modified"), ("LibraryDb:Book.3", "SaveChanges committed: LibraryDb:Book added")], invalidated);
        Assert.True((await host.Entities.ReadAsync<Book>([2])).Hit);
    }

    [Fact]
    public async Task FailedSaveChanges_InvalidatesNothing()
    {
        await using var host = await StartWithCachedBookAsync();
        await using var db = host.NewContext();
        db.Books.Add(new Book { Id = 1, Title = "Duplicate" });

        await Assert.ThrowsAsync<DbUpdateException>(() => db.SaveChangesAsync());

        Assert.DoesNotContain(Acted(host), e => e.Kind == CacheEventKind.Invalidate);
    }

    [Fact]
    public async Task ValueReadInsideAnOpenTransaction_IsNeverCached()
    {
        await using var host = await EngineOnlyHost.StartAsync();
        await host.AddBookAsync(1, "Dune");
        await using var db = host.NewContext();
        await using var transaction = await db.Database.BeginTransactionAsync();
        (await db.Books.SingleAsync(b => b.Id == 1)).Title = "Uncommitted";
        await db.SaveChangesAsync();

        // Under the key EntityCache reads book 1 by: anything cached here is what the read after the rollback would be served.
        var read = await host.Cache.GetAsync(host.Entities.KeyOf<Book>(1), db,
            static (d, ct) => d.Books.AsNoTracking().SingleOrDefaultAsync(b => b.Id == 1, ct));
        await transaction.RollbackAsync();

        Assert.Equal("Uncommitted", read.Value!.Title);
        Assert.Equal(0, host.Cache.Store.Count);
        Assert.Equal(CacheContext.UncommittedReason, host.Events().Single(e => e.Kind == CacheEventKind.Reject).Detail);
        Assert.Equal("Dune", (await host.Entities.FindAsync<Book>(1))!.Title);
    }

    [Fact]
    public async Task SyncSaveChanges_InvalidatesToo()
    {
        await using var host = await StartWithCachedBookAsync();

        using (var db = host.NewContext())
        {
            db.Books.Single(b => b.Id == 1).Title = "Sync";
            db.SaveChanges();
        }

        Assert.Equal("SaveChanges committed: LibraryDb:Book modified", LastInvalidate(host, "LibraryDb:Book.1").Detail);
    }
}
