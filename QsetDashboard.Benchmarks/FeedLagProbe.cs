using System.Data.Common;
using System.Diagnostics;
using System.Globalization;
using Microsoft.Data.Sqlite;
using Microsoft.EntityFrameworkCore;
using Npgsql;
using Microsoft.Extensions.DependencyInjection;
using Qset.Caching;
using Qset.Caching.Feed;
using QsetDashboard.Data;

namespace QsetDashboard.Benchmarks;

/// <summary>
/// <c>dotnet run -c Release --project QsetDashboard.Benchmarks -- --feed-lag [writes] [--postgres]</c>: how long after an outside
/// commit (a connection of its own, plain SQL) the change feed has invalidated the key, p50 and p99 over
/// <c>writes</c> writes; then what an idle feed costs the node: its queries a second (by construction, one per
/// <c>Cache:WatchInterval</c>) and its CPU time over a quiet interval, against the same interval with the feed off.
/// With <c>--postgres</c>, on a PostgreSQL cluster of its own (<c>initdb</c> in a temporary folder, as the tests make
/// one), whose feed is a logical replication stream: it has no poll, so the idle figures are of the SQLite feed only.
/// Not a BenchmarkDotNet run: the lag is a wait on another thread, which an operation's time would not show.
/// </summary>
internal static class FeedLagProbe
{
    public static async Task<int> RunAsync(int writes, bool postgres)
    {
        if (!postgres)
        {
            return await RunAsync(writes, null);
        }

        await using var cluster = new QsetDashboard.Tests.Infrastructure.PostgresCluster();
        await cluster.StartAsync();
        return await RunAsync(writes, await cluster.CreateDatabaseAsync());
    }

    private static async Task<int> RunAsync(int writes, string? postgres)
    {
        await using var engine = await BenchmarkEngine.StartAsync(new Dictionary<string, string?> { ["Cache:WatchDatabase"] = "true" }, postgres);
        var watch = engine.Services.GetRequiredService<DatabaseWatch>();
        await watch.StartAsync(CancellationToken.None);
        if (engine.Cache.GetStats().Feed.State != DatabaseFeedState.Live)
        {
            await Console.Error.WriteLineAsync($"The feed did not start: {engine.Cache.GetStats().Feed.Reason}");
            return 1;
        }

        string connectionString;
        await using (var db = await engine.Services.GetRequiredService<IDbContextFactory<QsetsDbContext>>().CreateDbContextAsync())
        {
            connectionString = db.Database.GetConnectionString()!;
        }

        await using DbConnection outside = postgres is null ? new SqliteConnection(connectionString) : new NpgsqlConnection(connectionString);
        await outside.OpenAsync();
        var key = CacheKeys.For<User>(BenchmarkEngine.UserId);
        var lags = new List<double>(writes);
        var fromSent = new List<double>(writes);
        for (var i = 0; i < writes; i++)
        {
            await engine.Generic.GetAsync<User>(BenchmarkEngine.UserId);
            if (await engine.Cache.Store.GetAsync(key) is null)
            {
                continue;
            }

            await using var command = outside.CreateCommand();
            command.CommandText = postgres is null
                ? $"UPDATE Users SET Name = 'outside {i}' WHERE Id = {BenchmarkEngine.UserId}"
                : $"""UPDATE "Users" SET "Name" = 'outside {i}' WHERE "Id" = {BenchmarkEngine.UserId}""";
            var sent = Stopwatch.GetTimestamp();
            await command.ExecuteNonQueryAsync();
            var committed = Stopwatch.GetTimestamp();
            while (await engine.Cache.Store.GetAsync(key) is not null)
            {
                await Task.Yield();
            }

            lags.Add(Stopwatch.GetElapsedTime(committed).TotalMilliseconds);
            fromSent.Add(Stopwatch.GetElapsedTime(sent).TotalMilliseconds);
        }

        // Measured after the writes, so that neither side pays for the first JIT of the engine; this feed stopped first.
        await watch.DisposeAsync();
        lags.Sort();
        fromSent.Sort();
        if (postgres is not null)
        {
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"""
                | change feed (PostgreSQL, logical replication, pgoutput) | measured |
                | --- | --- |
                | outside commit → invalidation, p50 | {Percentile(lags, 0.50):0.0} ms |
                | outside commit → invalidation, p99 | {Percentile(lags, 0.99):0.0} ms |
                | UPDATE sent → invalidation, p50 / p99 | {Percentile(fromSent, 0.50):0.0} ms / {Percentile(fromSent, 0.99):0.0} ms |
                | writes measured | {lags.Count} |
                """));
            return 0;
        }

        var idleOff = await IdleCpuAsync(watch: false);
        var idleOn = await IdleCpuAsync(watch: true);
        var interval = TimeSpan.FromMilliseconds(25);
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"""
            | change feed (SQLite, WatchInterval {interval.TotalMilliseconds:0} ms) | measured |
            | --- | --- |
            | outside commit → invalidation, p50 | {Percentile(lags, 0.50):0.0} ms |
            | outside commit → invalidation, p99 | {Percentile(lags, 0.99):0.0} ms |
            | UPDATE sent → invalidation, p50 / p99 | {Percentile(fromSent, 0.50):0.0} ms / {Percentile(fromSent, 0.99):0.0} ms |
            | writes measured | {lags.Count} |
            | idle feed: queries a second | {1_000 / interval.TotalMilliseconds:0} (one PRAGMA each) |
            | idle node CPU a second, feed on / off | {idleOn / 5:0.0} ms / {idleOff / 5:0.0} ms |
            """));
        return 0;
    }

    private static double Percentile(List<double> sorted, double p) =>
        sorted.Count == 0 ? double.NaN : sorted[Math.Min(sorted.Count - 1, (int)Math.Ceiling(p * sorted.Count) - 1)];

    // CPU time this process spends over five quiet seconds with a node running, its feed on or off.
    private static async Task<double> IdleCpuAsync(bool watch)
    {
        await using var engine = await BenchmarkEngine.StartAsync(new Dictionary<string, string?> { ["Cache:WatchDatabase"] = watch ? "true" : "false" });
        await engine.Services.GetRequiredService<DatabaseWatch>().StartAsync(CancellationToken.None);
        await Task.Delay(TimeSpan.FromSeconds(1));
        var before = Process.GetCurrentProcess().TotalProcessorTime;
        await Task.Delay(TimeSpan.FromSeconds(5));
        var spent = Process.GetCurrentProcess().TotalProcessorTime - before;
        await engine.Services.GetRequiredService<DatabaseWatch>().DisposeAsync();
        return spent.TotalMilliseconds;
    }
}
