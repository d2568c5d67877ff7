using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using Microsoft.Data.Sqlite;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Qset.Caching;

namespace QsetDashboard.Benchmarks;

/// <summary>A row of the truth benchmark: its version, which only its writers bump.</summary>
public sealed class VersionedRow
{
    public int Id { get; set; }

    public long Version { get; set; }
}

/// <summary>The truth benchmark's database: one table of versioned rows.</summary>
public sealed class TruthDb(DbContextOptions<TruthDb> options) : DbContext(options)
{
    public DbSet<VersionedRow> Rows => Set<VersionedRow>();
}

/// <summary>
/// <c>--truth-bench [--seconds N]</c>: one workload on each system in turn, two nodes (each its own container and
/// connections) over one SQLite file: reads by id of 10,000 rows with Zipf keys, 5% writes, readers and writers on both
/// nodes. Figures: reads a second, read p50 and p99, database queries per read, and stale reads: reads that began after
/// a write to their row was acknowledged and returned an older version. This slice runs the Qset systems and no cache;
/// FusionCache and HybridCache come next.
/// </summary>
internal static class TruthBench
{
    private const int Rows = 10_000;
    private const int WorkersPerNode = 4;
    private const double WriteShare = 0.05;

    private sealed record Outcome(string System, long Reads, double Seconds, double P50Ms, double P99Ms, double QueriesPerRead, long Stale, double StalestMs);

    public static async Task<int> RunAsync(int seconds)
    {
        using var redis = LocalRedis.Start();
        var systems = new (string Name, int Nodes, bool Cached, Dictionary<string, string?> Settings)[]
        {
            ("no cache", 2, false, []),
            ("Qset Memory, one node", 1, true, []),
            ("Qset Memory, two nodes (database feed)", 2, true, new() { ["Qset:WatchDatabase"] = "true" }),
            ("Qset Redis, two nodes", 2, true, new() { ["Qset:Backend"] = "Redis", ["Qset:Redis"] = redis.Endpoint }),
            ("Qset Hybrid, two nodes", 2, true, new() { ["Qset:Backend"] = "Hybrid", ["Qset:Redis"] = redis.Endpoint }),
        };

        List<Outcome> outcomes = [];
        foreach (var system in systems)
        {
            system.Settings["Qset:RedisPrefix"] = $"{{truth-{outcomes.Count}}}:";
            outcomes.Add(await RunSystemAsync(system.Name, system.Nodes, system.Cached, system.Settings, TimeSpan.FromSeconds(seconds)));
            Console.Error.WriteLine($"{system.Name}: done");
        }

        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"Truth benchmark: {Rows:N0} rows, Zipf keys, {WriteShare:P0} writes, {WorkersPerNode} workers a node, {seconds} s a system"));
        Console.WriteLine("| system | reads/s | read p50 | read p99 | database queries per read | stale reads | the stalest, after the write's ack |");
        Console.WriteLine("| --- | --- | --- | --- | --- | --- | --- |");
        foreach (var o in outcomes)
        {
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"| {o.System} | {o.Reads / o.Seconds:N0} | {o.P50Ms:0.000} ms | {o.P99Ms:0.000} ms | {o.QueriesPerRead:0.000} | {o.Stale} | {(o.Stale == 0 ? "—" : $"{o.StalestMs:0.0} ms")} |"));
        }

        return 0;
    }

    private static async Task<Outcome> RunSystemAsync(string name, int nodeCount, bool cached, Dictionary<string, string?> settings, TimeSpan duration)
    {
        var folder = Path.Combine(Path.GetTempPath(), "qset-truth", Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(folder);
        var connectionString = new SqliteConnectionStringBuilder { DataSource = Path.Combine(folder, "truth.db"), DefaultTimeout = 30 }.ToString();
        List<ServiceProvider> nodes = [];
        try
        {
            for (var n = 0; n < nodeCount; n++)
            {
                nodes.Add(await StartNodeAsync(connectionString, settings, $"node-{n}", seed: n == 0));
            }

            var acks = new ConcurrentDictionary<int, List<(long Version, long At)>>();
            var versions = new long[Rows + 1];
            var locks = Enumerable.Range(0, Rows + 1).Select(_ => new SemaphoreSlim(1, 1)).ToArray();
            var reads = new ConcurrentBag<(int Id, long Began, long Version, double Ms)>();
            using var stop = new CancellationTokenSource(duration);
            var workers = new List<Task>();
            for (var w = 0; w < WorkersPerNode * 2; w++)
            {
                var node = nodes[w % nodes.Count];
                var seed = w;
                workers.Add(Task.Run(async () =>
                {
                    var random = new Random(seed);
                    var zipf = new QsetDashboard.Load.KeyChooser(Rows, QsetDashboard.Load.KeyDistribution.Zipf, 1.0);
                    var contexts = node.GetRequiredService<IDbContextFactory<TruthDb>>();
                    var entities = node.GetRequiredService<EntityCache<TruthDb>>();
                    while (!stop.IsCancellationRequested)
                    {
                        // A request's boundary: a hit completes synchronously, and eight workers that never yield would
                        // starve the pool's other work (the feed's turns among it) on two cores.
                        await Task.Yield();
                        var id = zipf.Next(random) + 1;
                        if (random.NextDouble() < WriteShare)
                        {
                            await locks[id].WaitAsync();
                            try
                            {
                                await using var db = await contexts.CreateDbContextAsync();
                                var row = (await db.Rows.FindAsync(id))!;
                                row.Version = versions[id] + 1;
                                await db.SaveChangesAsync();
                                versions[id] = row.Version;
                                var list = acks.GetOrAdd(id, _ => []);
                                lock (list)
                                {
                                    list.Add((row.Version, Stopwatch.GetTimestamp()));
                                }
                            }
                            finally
                            {
                                locks[id].Release();
                            }

                            continue;
                        }

                        var began = Stopwatch.GetTimestamp();
                        long version;
                        if (cached)
                        {
                            version = (await entities.ReadAsync<VersionedRow>([id])).Value!.Version;
                        }
                        else
                        {
                            await using var db = await contexts.CreateDbContextAsync();
                            version = (await db.Rows.AsNoTracking().FirstAsync(r => r.Id == id)).Version;
                        }

                        reads.Add((id, began, version, Stopwatch.GetElapsedTime(began).TotalMilliseconds));
                    }
                }));
            }

            await Task.WhenAll(workers);
            var all = reads.ToList();
            var ages = all.Select(r => acks.TryGetValue(r.Id, out var list) ? StaleFor(list, r.Began, r.Version) : null).OfType<double>().ToList();
            var latencies = all.Select(r => r.Ms).Order().ToList();
            var queries = cached ? nodes.Sum(n => n.GetRequiredService<QsetCache>().GetStats().DbQueries) : all.Count;
            return new Outcome(name, all.Count, duration.TotalSeconds, Percentile(latencies, 0.5), Percentile(latencies, 0.99),
                all.Count == 0 ? 0 : (double)queries / all.Count, ages.Count, ages.Count == 0 ? 0 : ages.Max());
        }
        finally
        {
            foreach (var node in nodes)
            {
                foreach (var hosted in node.GetServices<IHostedService>().Reverse())
                {
                    await hosted.StopAsync(CancellationToken.None);
                }

                await node.DisposeAsync();
            }

            SqliteConnection.ClearAllPools();
            try
            {
                Directory.Delete(folder, recursive: true);
            }
            catch (IOException)
            {
            }
        }
    }

    // A read is stale when a newer version than it returned was acknowledged before it began: how long before, in ms
    // (from the first such acknowledgment); null for a true read.
    private static double? StaleFor(List<(long Version, long At)> acks, long began, long version)
    {
        lock (acks)
        {
            long? first = null;
            foreach (var (acked, at) in acks)
            {
                if (at < began && acked > version && (first is null || at < first))
                {
                    first = at;
                }
            }

            return first is { } since ? Stopwatch.GetElapsedTime(since, began).TotalMilliseconds : null;
        }
    }

    private static async Task<ServiceProvider> StartNodeAsync(string connectionString, Dictionary<string, string?> settings, string nodeId, bool seed)
    {
        var values = new Dictionary<string, string?>(settings) { ["Qset:NodeId"] = nodeId, ["Qset:Capacity"] = "20000", ["Qset:EventLogLevel"] = "None" };
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(values).Build();
        var services = new ServiceCollection();
        services.AddLogging(b => b.AddConsole().SetMinimumLevel(LogLevel.Warning));
        services.AddDbContextFactory<TruthDb>((sp, o) => o.UseSqlite(connectionString).UseQsetCache(sp));
        services.AddQsetCache(configuration.GetSection("Qset"));
        var provider = services.BuildServiceProvider();
        if (seed)
        {
            await using var db = await provider.GetRequiredService<IDbContextFactory<TruthDb>>().CreateDbContextAsync();
            await db.Database.EnsureCreatedAsync();
            await db.Database.ExecuteSqlRawAsync("PRAGMA journal_mode=WAL;");
            await db.Database.ExecuteSqlRawAsync(
                $"WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < {Rows}) INSERT INTO Rows (Id, Version) SELECT i, 0 FROM n");
        }

        foreach (var hosted in provider.GetServices<IHostedService>())
        {
            if (hosted is IHostedLifecycleService lifecycle)
            {
                await lifecycle.StartingAsync(CancellationToken.None);
            }

            await hosted.StartAsync(CancellationToken.None);
        }

        return provider;
    }

    private static double Percentile(List<double> sorted, double p) =>
        sorted.Count == 0 ? double.NaN : sorted[Math.Min(sorted.Count - 1, (int)Math.Ceiling(p * sorted.Count) - 1)];
}
