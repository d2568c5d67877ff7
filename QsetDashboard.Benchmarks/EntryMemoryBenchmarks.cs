using System.Globalization;
using BenchmarkDotNet.Attributes;
using Microsoft.Extensions.Caching.Memory;
using Qset.Caching;
using QsetDashboard.Data;
using ZiggyCreatures.Caching.Fusion;

namespace QsetDashboard.Benchmarks;

/// <summary>
/// What one cached entry costs in memory: each operation populates 1,000 new keys (a user built in memory each), and
/// the memory diagnoser's "Allocated" divided by 1,000 is the bytes allocated per entry: what the entry keeps (value
/// wrapper, index nodes, JSON for the dashboard) plus what populating it threw away. Raw <c>IMemoryCache.Set</c> of the
/// same user is the baseline; the users and keys themselves are allocated in every row alike.
/// </summary>
[MemoryDiagnoser]
[BenchmarkCategory("memory")]
public class EntryMemoryBenchmarks
{
    private const int EntriesPerOperation = 1_000;

    private BenchmarkEngine _engine = null!;
    private QsetCache _cache = null!;
    private MemoryCache _memory = null!;
    private FusionCache _fusion = null!;
    private int _next;

    [GlobalSetup]
    public void Setup()
    {
        _engine = BenchmarkEngine.Start(new Dictionary<string, string?> { ["Cache:Capacity"] = "1000000", ["Cache:DefaultTtl"] = "01:00:00" });
        _cache = _engine.Cache;
        _memory = new MemoryCache(new MemoryCacheOptions());
        _fusion = new FusionCache(new FusionCacheOptions());
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _fusion.Dispose();
        _memory.Dispose();
        _engine.DisposeAsync().AsTask().GetAwaiter().GetResult();
    }

    [Benchmark(Baseline = true, Description = "IMemoryCache.Set, 1,000 entries (raw)")]
    public void RawMemoryCache()
    {
        for (var i = 0; i < EntriesPerOperation; i++)
        {
            var id = ++_next;
            _memory.Set(Key(id), Load(id), TimeSpan.FromHours(1));
        }
    }

    [Benchmark(Description = "Qset memory store populate, 1,000 entries")]
    public void Ours()
    {
        for (var i = 0; i < EntriesPerOperation; i++)
        {
            var id = ++_next;
            _cache.GetAsync<User, int>(Key(id), id, static (i, _) => Task.FromResult<User?>(Load(i))).AsTask().GetAwaiter().GetResult();
        }
    }

    [Benchmark(Description = "FusionCache.Set, 1,000 entries")]
    public void Fusion()
    {
        for (var i = 0; i < EntriesPerOperation; i++)
        {
            var id = ++_next;
            _fusion.Set(Key(id), Load(id), TimeSpan.FromHours(1));
        }
    }

    private static string Key(int id) => "User." + id.ToString(CultureInfo.InvariantCulture);

    private static User Load(int id) => new() { Id = id, Name = "memory" };
}
