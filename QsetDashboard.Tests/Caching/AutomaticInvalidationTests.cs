using Microsoft.EntityFrameworkCore;
using Qset.Caching;
using QsetDashboard.Data;
using QsetDashboard.Tests.Infrastructure;

namespace QsetDashboard.Tests.Caching;

/// <summary>Every write path invalidates by itself, after commit, over real SQLite.</summary>
public sealed class AutomaticInvalidationTests
{
    private long _mark;

    /// <summary>A host whose user 1 is cached; the events of this arrangement are left out of <see cref="Acted"/>.</summary>
    private async Task<EngineHost> StartWithCachedUserAsync(Func<EngineHost, Task>? arrange = null)
    {
        var host = await EngineHost.StartAsync();
        await host.Repository.UpsertAsync(new User { Id = 1, Name = "Alice" });
        if (arrange is not null)
        {
            await arrange(host);
        }

        await host.Generic.ReadAsync<User>(1);
        Assert.True((await host.Generic.ReadAsync<User>(1)).Hit);
        _mark = host.Journal.LastSequence;
        return host;
    }

    /// <summary>The events raised after the arrangement.</summary>
    private IReadOnlyList<CacheEvent> Acted(EngineHost host) => host.Journal.ReadAfter(_mark);

    private CacheEvent LastInvalidate(EngineHost host, string key) =>
        Acted(host).Last(e => e.Kind == CacheEventKind.Invalidate && e.Key == key);

    [Fact]
    public async Task Add_ThroughAPlainContext_InvalidatesItsKey_SayingWhy()
    {
        await using var host = await EngineHost.StartAsync();

        await using (var db = host.NewContext())
        {
            db.Users.Add(new User { Id = 1, Name = "Alice" });
            await db.SaveChangesAsync();
        }

        var invalidate = LastInvalidate(host, "User.1");
        Assert.Equal("SaveChanges committed: User added", invalidate.Detail);
        Assert.Equal("ef", invalidate.Source);
        Assert.Equal("User", invalidate.EntityType);
    }

    [Fact]
    public async Task Update_ThroughAPlainContext_InvalidatesItsKey_NextReadSeesTheNewRow()
    {
        await using var host = await StartWithCachedUserAsync();

        await using (var db = host.NewContext())
        {
            var user = await db.Users.SingleAsync(u => u.Id == 1);
            user.Name = "Jane";
            await db.SaveChangesAsync();
        }

        Assert.Equal("SaveChanges committed: User modified", LastInvalidate(host, "User.1").Detail);
        var read = await host.Generic.ReadAsync<User>(1);
        Assert.False(read.Hit);
        Assert.Equal("Jane", read.Value!.Name);
    }

    [Fact]
    public async Task Delete_ThroughAPlainContext_InvalidatesItsKey()
    {
        await using var host = await StartWithCachedUserAsync();

        await using (var db = host.NewContext())
        {
            db.Users.Remove(await db.Users.SingleAsync(u => u.Id == 1));
            await db.SaveChangesAsync();
        }

        Assert.Equal("SaveChanges committed: User deleted", LastInvalidate(host, "User.1").Detail);
        Assert.Null(await host.Generic.GetAsync<User>(1));
    }

    [Fact]
    public async Task ExecuteUpdate_InvalidatesTheTablesHeldKeys()
    {
        await using var host = await StartWithCachedUserAsync();

        await using (var db = host.NewContext())
        {
            await db.Users.Where(u => u.Id == 1).ExecuteUpdateAsync(s => s.SetProperty(u => u.Name, "Bulk"));
        }

        Assert.Equal("ExecuteUpdate on Users", LastInvalidate(host, "User.1").Detail);
        var read = await host.Generic.ReadAsync<User>(1);
        Assert.False(read.Hit);
        Assert.Equal("Bulk", read.Value!.Name);
    }

    [Fact]
    public async Task ExecuteDelete_InvalidatesTheTablesHeldKeys()
    {
        await using var host = await StartWithCachedUserAsync();

        await using (var db = host.NewContext())
        {
            await db.Users.Where(u => u.Name == "Alice").ExecuteDeleteAsync();
        }

        Assert.Equal("ExecuteDelete on Users", LastInvalidate(host, "User.1").Detail);
        Assert.Null(await host.Generic.GetAsync<User>(1));
    }

    [Fact]
    public async Task RawSql_InvalidatesTheTablesItWrites_AndNoOther()
    {
        await using var host = await StartWithCachedUserAsync(async h =>
        {
            await h.Repository.UpsertAsync(new Team { Id = 1, Name = "Dev" });
            await h.Generic.GetAsync<Team>(1);
        });

        await using (var db = host.NewContext())
        {
            await db.Database.ExecuteSqlRawAsync("UPDATE Users SET Name = 'Raw' WHERE Id = 1 -- not Teams");
        }

        Assert.Equal("raw SQL UPDATE on Users", LastInvalidate(host, "User.1").Detail);
        Assert.Equal("Raw", (await host.Generic.GetAsync<User>(1))!.Name);
        Assert.True((await host.Generic.ReadAsync<Team>(1)).Hit);
    }

    [Fact]
    public async Task BulkVersionBumpedElsewhere_MakesAByIdHitStale()
    {
        // Another node's bulk write reaches this one only as a newer table version: the entry must not be served.
        await using var host = await StartWithCachedUserAsync();

        host.Cache.Versions.BumpBulkWrite("User");
        var read = await host.Generic.ReadAsync<User>(1);

        Assert.False(read.Hit);
        Assert.StartsWith("stale: User changed by a bulk write", LastInvalidate(host, "User.1").Detail, StringComparison.Ordinal);
        Assert.True((await host.Generic.ReadAsync<User>(1)).Hit);
    }

    [Fact]
    public async Task RowWrite_DoesNotMakeOtherByIdKeysStale()
    {
        await using var host = await StartWithCachedUserAsync();
        await using (var db = host.NewContext())
        {
            db.Users.Add(new User { Id = 2, Name = "Bob" });
            await db.SaveChangesAsync();
        }

        Assert.True((await host.Generic.ReadAsync<User>(1)).Hit);
        Assert.Equal(["User.2"], Acted(host).Where(e => e.Kind == CacheEventKind.Invalidate).Select(e => e.Key));
    }

    [Fact]
    public async Task ExplicitTransaction_InvalidatesOnlyAtCommit()
    {
        await using var host = await StartWithCachedUserAsync();
        await using var db = host.NewContext();
        await using var transaction = await db.Database.BeginTransactionAsync();
        (await db.Users.SingleAsync(u => u.Id == 1)).Name = "Jane";
        await db.SaveChangesAsync();

        Assert.DoesNotContain(Acted(host), e => e.Kind == CacheEventKind.Invalidate);
        Assert.True((await host.Generic.ReadAsync<User>(1)).Hit);

        await transaction.CommitAsync();

        Assert.Equal("transaction committed: User modified", LastInvalidate(host, "User.1").Detail);
        Assert.Equal("Jane", (await host.Generic.GetAsync<User>(1))!.Name);
    }

    [Fact]
    public async Task Rollback_InvalidatesNothing()
    {
        await using var host = await StartWithCachedUserAsync();
        await using (var db = host.NewContext())
        {
            await using var transaction = await db.Database.BeginTransactionAsync();
            (await db.Users.SingleAsync(u => u.Id == 1)).Name = "Jane";
            await db.SaveChangesAsync();
            await db.Users.Where(u => u.Id == 1).ExecuteUpdateAsync(s => s.SetProperty(u => u.Name, "Bulk"));
            await transaction.RollbackAsync();
        }

        Assert.DoesNotContain(Acted(host), e => e.Kind == CacheEventKind.Invalidate);
        var read = await host.Generic.ReadAsync<User>(1);
        Assert.True(read.Hit);
        Assert.Equal("Alice", read.Value!.Name);
        Assert.Equal("Alice", (await host.Repository.FindAsync<User>(1))!.Name);
    }

    [Fact]
    public async Task ExecuteDelete_InATransaction_InvalidatesAtCommit()
    {
        await using var host = await StartWithCachedUserAsync();
        await using var db = host.NewContext();
        await using var transaction = await db.Database.BeginTransactionAsync();
        await db.Users.Where(u => u.Id == 1).ExecuteDeleteAsync();

        Assert.DoesNotContain(Acted(host), e => e.Kind == CacheEventKind.Invalidate);

        await transaction.CommitAsync();

        Assert.Equal("transaction committed: ExecuteDelete on Users", LastInvalidate(host, "User.1").Detail);
    }

    [Fact]
    public async Task TwoContextsAtOnce_EachInvalidatesAtItsOwnCommit()
    {
        await using var host = await StartWithCachedUserAsync(async h =>
        {
            await h.Repository.UpsertAsync(new User { Id = 2, Name = "Bob" });
            await h.Generic.GetAsync<User>(2);
        });
        await using var first = host.NewContext();
        await using var second = host.NewContext();
        await using var transaction = await first.Database.BeginTransactionAsync();

        (await first.Users.SingleAsync(u => u.Id == 1)).Name = "Jane";
        await first.SaveChangesAsync();
        second.Users.Add(new User { Id = 3, Name = "Carol" });

        // SQLite allows one writer at a time, so the second context saves after the first commits; its invalidation is still its own.
        await transaction.CommitAsync();
        await second.SaveChangesAsync();

        var invalidated = Acted(host).Where(e => e.Kind == CacheEventKind.Invalidate).Select(e => (e.Key, e.Detail)).ToList();
        Assert.Equal([("User.1", "transaction committed: User modified"), ("User.3", "SaveChanges committed: User added")], invalidated);
        Assert.True((await host.Generic.ReadAsync<User>(2)).Hit);
    }

    [Fact]
    public async Task FailedSaveChanges_InvalidatesNothing()
    {
        await using var host = await StartWithCachedUserAsync();
        await using var db = host.NewContext();
        db.Users.Add(new User { Id = 1, Name = "Duplicate" });

        await Assert.ThrowsAsync<DbUpdateException>(() => db.SaveChangesAsync());

        Assert.DoesNotContain(Acted(host), e => e.Kind == CacheEventKind.Invalidate);
    }

    [Fact]
    public async Task ValueReadInsideAnOpenTransaction_IsNeverCached()
    {
        await using var host = await EngineHost.StartAsync();
        await host.Repository.UpsertAsync(new User { Id = 1, Name = "Alice" });
        await using var db = host.NewContext();
        await using var transaction = await db.Database.BeginTransactionAsync();
        (await db.Users.SingleAsync(u => u.Id == 1)).Name = "Uncommitted";
        await db.SaveChangesAsync();

        var read = await host.Cache.GetAsync(CacheKeys.For<User>(1), db,
            static (d, ct) => d.Users.AsNoTracking().SingleOrDefaultAsync(u => u.Id == 1, ct));
        await transaction.RollbackAsync();

        Assert.Equal("Uncommitted", read.Value!.Name);
        Assert.Equal(0, host.Cache.Store.Count);
        Assert.Equal(CacheContext.UncommittedReason, host.Events().Single(e => e.Kind == CacheEventKind.Reject).Detail);
        Assert.Equal("Alice", (await host.Generic.GetAsync<User>(1))!.Name);
    }

    [Fact]
    public async Task ExplicitStyles_InvalidateTheirKeyOnce()
    {
        await using var host = await StartWithCachedUserAsync();

        await host.Generic.SetAsync(1, new User { Name = "Jane" });

        Assert.Single(Acted(host), e => e.Kind == CacheEventKind.Invalidate && e.Key == "User.1");
    }

    [Fact]
    public async Task SyncSaveChanges_InvalidatesToo()
    {
        await using var host = await StartWithCachedUserAsync();

        using (var db = host.NewContext())
        {
            db.Users.Single(u => u.Id == 1).Name = "Sync";
            db.SaveChanges();
        }

        Assert.Equal("SaveChanges committed: User modified", LastInvalidate(host, "User.1").Detail);
    }
}
