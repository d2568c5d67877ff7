using Microsoft.EntityFrameworkCore;
using Qset.Caching;
using QsetDashboard.Data;
using QsetDashboard.Tests.Infrastructure;

namespace QsetDashboard.Tests.Caching;

public sealed class TableVersionTests
{
    private static readonly CacheReadPolicy s_readsUsers =
        new("Query", [new TableDependency("User", TableVersionKind.AnyWrite)]);

    [Fact]
    public async Task AReadThatBeganBeforeACommit_IsStoredWithTheOldVersion_AndNeverServedAfterIt()
    {
        await using var host = await EngineHost.StartAsync();
        var release = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var loading = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);

        var slowRead = host.Cache.GetAsync("Query.User.race", 0, async (_, _) =>
        {
            loading.SetResult();
            await release.Task;
            return "read before the write";
        }, s_readsUsers).AsTask();
        await loading.Task;

        // A commit elsewhere: only the version moves, no key is invalidated here.
        host.Cache.Versions.BumpWrite("User");
        release.SetResult();
        await slowRead;

        var next = await host.Cache.GetAsync("Query.User.race", 0, (_, _) => Task.FromResult<string?>("fresh"), s_readsUsers);

        Assert.False(next.Hit);
        Assert.Equal("fresh", next.Value);
        Assert.True((await host.Cache.GetAsync("Query.User.race", 0, (_, _) => Task.FromResult<string?>("unused"), s_readsUsers)).Hit);
    }

    [Fact]
    public void Capture_WhileTheTablesStandStill_SharesOneArray_AndAWriteStartsANewOne()
    {
        var versions = new TableVersions();
        IReadOnlyList<TableDependency> dependsOn = [new TableDependency("User", TableVersionKind.BulkWrite)];

        var first = versions.Capture(dependsOn);
        var second = versions.Capture(dependsOn);
        versions.BumpBulkWrite("User");
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

        versions.BumpWrite("User");
        versions.BumpBulkWrite("User");
        versions.BumpWrite("Team");

        Assert.Equal((2L, 1L), (versions.Current("User", TableVersionKind.AnyWrite), versions.Current("User", TableVersionKind.BulkWrite)));
        Assert.Equal((1L, 0L), (versions.Current("Team", TableVersionKind.AnyWrite), versions.Current("Team", TableVersionKind.BulkWrite)));
        Assert.Equal(0L, versions.Current("Unknown", TableVersionKind.AnyWrite));
        var stamps = versions.Capture([new TableDependency("User", TableVersionKind.BulkWrite)]);
        Assert.True(versions.IsCurrent(stamps, out _));
        versions.BumpWrite("User");
        Assert.True(versions.IsCurrent(stamps, out _));
        versions.BumpBulkWrite("User");
        Assert.False(versions.IsCurrent(stamps, out var stale));
        Assert.Equal("User", stale.Table);
    }

    [Fact]
    public async Task AJoinedQuery_DependsOnBothTables_AndIsInvalidatedOnce()
    {
        await using var host = await EngineHost.StartAsync();
        await using (var db = host.NewContext())
        {
            db.Users.Add(new User { Id = 1, Name = "Alice" });
            db.Teams.Add(new Team { Id = 1, Name = "Dev" });
            await db.SaveChangesAsync();
        }

        async Task<int> JoinAsync()
        {
            await using var db = host.NewContext();
            return await db.Users.Join(db.Teams, u => u.Id, t => t.Id, (u, t) => u.Name + "@" + t.Name).Cacheable().CountAsync();
        }

        Assert.Equal(1, await JoinAsync());
        var key = host.Events().Last(e => e.Kind == CacheEventKind.Populate).Key;
        Assert.StartsWith("Query.Team+User.", key, StringComparison.Ordinal);

        await using (var db = host.NewContext())
        {
            db.Users.Add(new User { Id = 2, Name = "Bob" });
            await db.SaveChangesAsync();
            db.Teams.Add(new Team { Id = 2, Name = "Ops" });
            await db.SaveChangesAsync();
        }

        Assert.Single(host.Events(), e => e.Kind == CacheEventKind.Invalidate && e.Key == key);
        Assert.Equal(2, await JoinAsync());
    }
}
