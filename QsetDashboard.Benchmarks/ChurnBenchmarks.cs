using System.Globalization;
using BenchmarkDotNet.Attributes;
using Microsoft.Extensions.Caching.Memory;
using Qset.Caching;
using QsetDashboard.Data;
using ZiggyCreatures.Caching.Fusion;

namespace QsetDashboard.Benchmarks;

/// <summary>
/// Churn on a full cache: every operation reads a key never seen before, so it misses, loads (an object built in
/// memory, so that only the cache is measured), populates, and evicts one entry to stay at capacity. The cost must
/// not grow with <see cref="Capacity"/>: ours (SIEVE, O(1) eviction), raw <c>IMemoryCache</c> with a
/// <c>SizeLimit</c> (it compacts in the background), and FusionCache over such an <c>IMemoryCache</c>.
/// </summary>
[MemoryDiagnoser]
[BenchmarkCategory("churn")]
public class ChurnBenchmarks
{
    private BenchmarkEngine _engine = null!;
    private QsetCache _cache = null!;
    private MemoryCache _memory = null!;
    private MemoryCache _fusionMemory = null!;
    private FusionCache _fusion = null!;
    private FusionCacheEntryOptions _fusionEntry = null!;
    private MemoryCacheEntryOptions _memoryEntry = null!;
    private int _next;

    /// <summary>How many entries the full cache holds.</summary>
    [Params(100, 10_000, 1_000_000)]
    public int Capacity { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        _engine = BenchmarkEngine.Start(new Dictionary<string, string?>
        {
            ["Cache:Capacity"] = Capacity.ToString(CultureInfo.InvariantCulture),
            ["Cache:DefaultTtl"] = "01:00:00",
        });
        _cache = _engine.Cache;
        _memory = new MemoryCache(new MemoryCacheOptions { SizeLimit = Capacity });
        _memoryEntry = new MemoryCacheEntryOptions { Size = 1, AbsoluteExpirationRelativeToNow = TimeSpan.FromHours(1) };
        _fusionMemory = new MemoryCache(new MemoryCacheOptions { SizeLimit = Capacity });
        _fusion = new FusionCache(new FusionCacheOptions(), _fusionMemory);
        _fusionEntry = new FusionCacheEntryOptions { Size = 1, Duration = TimeSpan.FromHours(1) };

        // Fill every cache to its capacity, so that each measured operation evicts.
        for (_next = 0; _next < Capacity; _next++)
        {
            Ours().AsTask().GetAwaiter().GetResult();
            RawMemoryCache();
            Fusion();
        }
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _fusion.Dispose();
        _fusionMemory.Dispose();
        _memory.Dispose();
        _engine.DisposeAsync().AsTask().GetAwaiter().GetResult();
    }

    [Benchmark(Baseline = true, Description = "IMemoryCache miss + set, SizeLimit (raw)")]
    public User RawMemoryCache()
    {
        var id = ++_next;
        var key = Key(id);
        if (_memory.TryGetValue(key, out User? user))
        {
            return user!;
        }

        user = Load(id);
        _memory.Set(key, user, _memoryEntry);
        return user;
    }

    [Benchmark(Description = "Qset memory store: miss + populate + evict")]
    public ValueTask<CacheRead<User>> Ours()
    {
        var id = ++_next;
        return _cache.GetAsync<User, int>(Key(id), id, static (i, _) => Task.FromResult<User?>(Load(i)));
    }

    [Benchmark(Description = "FusionCache GetOrSet, SizeLimit")]
    public User Fusion()
    {
        var id = ++_next;
        return _fusion.GetOrSet(Key(id), _ => Load(id), _fusionEntry)!;
    }

    private static string Key(int id) => "User." + id.ToString(CultureInfo.InvariantCulture);

    private static User Load(int id) => new() { Id = id, Name = "churn" };
}
