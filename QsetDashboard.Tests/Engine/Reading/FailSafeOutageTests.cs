using Microsoft.Extensions.Time.Testing;
using Npgsql;
using Qset.Caching;
using QsetDashboard.Tests.Infrastructure;

namespace QsetDashboard.Tests.Engine.Reading;

/// <summary>
/// Fail-safe against a real outage: a PostgreSQL cluster of the test's own, crashed (<c>pg_ctl stop -m immediate</c>)
/// and started again. An expired value no write touched is served stale while it is down; one a write invalidated
/// before the crash is not; once it is back and the throttle is over, reads are fresh.
/// </summary>
public sealed class FailSafeOutageTests
{
    [Fact]
    public async Task ThePostgresServerCrashes_AnExpiredValueIsServedStale_AnInvalidatedOneIsNot_AndFreshOnceItIsBack()
    {
        await using var cluster = new PostgresCluster();
        await cluster.StartAsync();
        var time = new FakeTimeProvider(new DateTimeOffset(2026, 12, 8, 12, 0, 0, TimeSpan.Zero));
        await using var host = await EngineOnlyHost.StartAsync(s =>
        {
            s["Qset:DefaultTtl"] = "00:01:00";
            s["Qset:FailSafeMaxDuration"] = "00:10:00";
            s["Qset:FailSafeThrottle"] = "00:00:30";
        }, time, postgres: await cluster.CreateDatabaseAsync());
        await host.AddBookAsync(1, "Alice");
        await host.AddBookAsync(2, "Bob");
        await host.Entities.ReadAsync<Book>([1]);
        await host.Entities.ReadAsync<Book>([2]);
        await using (var db = host.NewContext())
        {
            (await db.Books.FindAsync(2))!.Title = "Robert";
            await db.SaveChangesAsync();
        }

        time.Advance(TimeSpan.FromMinutes(1) + TimeSpan.FromSeconds(1));
        await cluster.CrashAsync();

        var stale = await host.Entities.ReadAsync<Book>([1]);
        Assert.True(stale.Stale, "book 1 expired, no write touched it: served stale");
        Assert.Equal("Alice", stale.Value!.Title);
        Assert.Contains("the database read failed", stale.StaleReason, StringComparison.Ordinal);
        var failed = await Assert.ThrowsAsync<InvalidOperationException>(async () => await host.Entities.ReadAsync<Book>([2]));
        Assert.IsType<NpgsqlException>(failed.InnerException, exactMatch: false);

        await cluster.StartAsync();

        // The pool's connections died with the server: a real app's first read after the restart fails on one of them
        // (and fail-safe answers it); the test starts the pool over so that the next read is the fresh one.
        NpgsqlConnection.ClearAllPools();
        time.Advance(TimeSpan.FromSeconds(31));
        var fresh = await host.Entities.ReadAsync<Book>([1]);
        Assert.False(fresh.Stale, host.DumpEvents());
        Assert.False(fresh.Hit);
        Assert.Equal("Robert", (await host.Entities.ReadAsync<Book>([2])).Value!.Title);
    }
}
