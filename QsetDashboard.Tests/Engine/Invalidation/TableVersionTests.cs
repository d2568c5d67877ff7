using Microsoft.EntityFrameworkCore;
using Qset.Caching;

namespace QsetDashboard.Tests.Engine.Invalidation;

public sealed class TableVersionTests
{
    private static readonly CacheReadPolicy s_readsBooks =
        new("Query", [new TableDependency("LibraryDb:Book", TableVersionKind.AnyWrite)]);

    [Fact]
    public async Task AReadThatBeganBeforeACommit_IsStoredWithTheOldVersion_AndNeverServedAfterIt()
    {
        await using var host = await EngineOnlyHost.StartAsync();
        var release = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var loading = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);

        var slowRead = host.Cache.GetAsync("Query.LibraryDb:Book.race", 0, async (_, _) =>
        {
            loading.SetResult();
            await release.Task;
            return "read before the write";
        }, s_readsBooks).AsTask();
        await loading.Task;

        // A commit elsewhere: only the version moves, no key is invalidated here.
        host.Cache.Versions.BumpWrite("LibraryDb:Book");
        release.SetResult();
        await slowRead;

        var next = await host.Cache.GetAsync("Query.LibraryDb:Book.race", 0, (_, _) => Task.FromResult<string?>("fresh"), s_readsBooks);

        Assert.False(next.Hit);
        Assert.Equal("fresh", next.Value);
        Assert.True((await host.Cache.GetAsync("Query.LibraryDb:Book.race", 0, (_, _) => Task.FromResult<string?>("unused"), s_readsBooks)).Hit);
    }

    [Fact]
    public void Capture_WhileTheTablesStandStill_SharesOneArray_AndAWriteStartsANewOne()
    {
        var versions = new TableVersions();
        IReadOnlyList<TableDependency> dependsOn = [new TableDependency("Book", TableVersionKind.BulkWrite)];

        var first = versions.Capture(dependsOn);
        var second = versions.Capture(dependsOn);
        versions.BumpBulkWrite("Book");
        var third = versions.Capture(dependsOn);

        Assert.Same(first, second);
        Assert.NotSame(first, third);
        Assert.False(versions.IsCurrent(first, out _));
        Assert.True(versions.IsCurrent(third, out _));
        Assert.Equal(1L, third[0].Version);
    }

    [Fact]
    public void Versions_AreLogicalCounters_PerTableAndKind()
    {
        var versions = new TableVersions();

        versions.BumpWrite("Book");
        versions.BumpBulkWrite("Book");
        versions.BumpWrite("Shelf");

        Assert.Equal((2L, 1L), (versions.Current("Book", TableVersionKind.AnyWrite), versions.Current("Book", TableVersionKind.BulkWrite)));
        Assert.Equal((1L, 0L), (versions.Current("Shelf", TableVersionKind.AnyWrite), versions.Current("Shelf", TableVersionKind.BulkWrite)));
        Assert.Equal(0L, versions.Current("Unknown", TableVersionKind.AnyWrite));
        var stamps = versions.Capture([new TableDependency("Book", TableVersionKind.BulkWrite)]);
        Assert.True(versions.IsCurrent(stamps, out _));
        versions.BumpWrite("Book");
        Assert.True(versions.IsCurrent(stamps, out _));
        versions.BumpBulkWrite("Book");
        Assert.False(versions.IsCurrent(stamps, out var stale));
        Assert.Equal("Book", stale.Table);
    }

    [Fact]
    public async Task AJoinedQuery_DependsOnBothTables_AndIsInvalidatedOnce()
    {
        await using var host = await EngineOnlyHost.StartAsync();
        await using (var db = host.NewContext())
        {
            db.Books.Add(new Book { Id = 1, Title = "Dune" });
            db.Loans.Add(new Loan { BookId = 1, Reader = "ann" });
            await db.SaveChangesAsync();
        }

        async Task<int> JoinAsync()
        {
            await using var db = host.NewContext();
            return await db.Books.Join(db.Loans, b => b.Id, l => l.BookId, (b, l) => b.Title + "@" + l.Reader).Cacheable().CountAsync();
        }

        Assert.Equal(1, await JoinAsync());
        var key = host.Events().Last(e => e.Kind == CacheEventKind.Populate).Key;
        Assert.StartsWith("Query.LibraryDb:Book+LibraryDb:Loan.", key, StringComparison.Ordinal);

        await using (var db = host.NewContext())
        {
            db.Books.Add(new Book { Id = 2, Title = "Emma" });
            await db.SaveChangesAsync();
            db.Loans.Add(new Loan { BookId = 2, Reader = "bob" });
            await db.SaveChangesAsync();
        }

        Assert.Single(host.Events(), e => e.Kind == CacheEventKind.Invalidate && e.Key == key);
        Assert.Equal(2, await JoinAsync());
    }
}
