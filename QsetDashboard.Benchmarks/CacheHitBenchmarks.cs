using BenchmarkDotNet.Attributes;
using Microsoft.Extensions.Caching.Hybrid;
using Microsoft.Extensions.Caching.Memory;
using Microsoft.Extensions.DependencyInjection;
using Qset.Caching;
using QsetDashboard.Data;
using ZiggyCreatures.Caching.Fusion;
using QsetDashboard.Styles;

namespace QsetDashboard.Benchmarks;

/// <summary>
/// A cache HIT of one user by id, side by side: the raw <see cref="IMemoryCache"/> floor, our three styles on the
/// memory store with every event recorded, HybridCache, FusionCache, and the uncached EF Core query.
/// </summary>
[MemoryDiagnoser]
[BenchmarkCategory("hit")]
public class CacheHitBenchmarks
{
    private const string Key = "User.1";

    private BenchmarkEngine _engine = null!;
    private MemoryCache _memory = null!;
    private MemoryCache _coarseMemory = null!;
    private ServiceProvider _peers = null!;
    private HybridCache _hybrid = null!;
    private FusionCache _fusion = null!;
    private SimpleCache _simple = null!;
    private GenericCache _generic = null!;
    private ModelCache<User> _users = null!;
    private EntityRepository _repository = null!;
    private User _user = null!;
    private Func<FusionCacheFactoryExecutionContext<User>, CancellationToken, User> _fusionFactory = null!;

    [GlobalSetup]
    public void Setup()
    {
        _engine = BenchmarkEngine.Start();
        _simple = _engine.Simple;
        _generic = _engine.Generic;
        _users = _engine.Users;
        _repository = _engine.Repository;
        _user = _repository.FindAsync<User>(BenchmarkEngine.UserId).GetAwaiter().GetResult()!;

        _memory = new MemoryCache(new MemoryCacheOptions());
        _memory.Set(Key, _user, TimeSpan.FromMinutes(5));
        _coarseMemory = new MemoryCache(new MemoryCacheOptions { Clock = new TimeProviderClock(TimeProvider.System) });
        _coarseMemory.Set(Key, _user, TimeSpan.FromMinutes(5));

        _peers = new ServiceCollection().AddHybridCache().Services.BuildServiceProvider();
        _hybrid = _peers.GetRequiredService<HybridCache>();
        _fusion = new FusionCache(new FusionCacheOptions());
        _fusionFactory = (_, _) => _user;

        // Warm every cache, so that each measured call is a hit.
        _ = _simple.GetUserAsync(BenchmarkEngine.UserId).AsTask().GetAwaiter().GetResult();
        _ = _generic.GetAsync<User>(BenchmarkEngine.UserId).AsTask().GetAwaiter().GetResult();
        _ = HybridGetOrCreate().AsTask().GetAwaiter().GetResult();
        _ = FusionGetOrSet();
        if (!_generic.ReadAsync<User>(BenchmarkEngine.UserId).AsTask().GetAwaiter().GetResult().Hit)
        {
            throw new InvalidOperationException("The engine did not answer the warmed key from the cache.");
        }
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _fusion.Dispose();
        _peers.Dispose();
        _memory.Dispose();
        _coarseMemory.Dispose();
        _engine.DisposeAsync().AsTask().GetAwaiter().GetResult();
    }

    [Benchmark(Baseline = true, Description = "IMemoryCache.TryGetValue (raw)")]
    public object? RawMemoryCache() => _memory.TryGetValue(Key, out var value) ? value : null;

    // The same lookup on the clock our store gives MemoryCache (the coarse tick count): how much of the
    // difference to the baseline is the clock read alone.
    [Benchmark(Description = "IMemoryCache.TryGetValue (coarse clock)")]
    public object? CoarseClockMemoryCache() => _coarseMemory.TryGetValue(Key, out var value) ? value : null;

    [Benchmark(Description = "SimpleCache.GetUserAsync")]
    public ValueTask<User?> Simple() => _simple.GetUserAsync(BenchmarkEngine.UserId);

    [Benchmark(Description = "GenericCache.GetAsync<User>")]
    public ValueTask<User?> Generic() => _generic.GetAsync<User>(BenchmarkEngine.UserId);

    [Benchmark(Description = "ModelCache<User>.GetAsync")]
    public ValueTask<User?> Model() => _users.GetAsync(BenchmarkEngine.UserId);

    [Benchmark(Description = "HybridCache.GetOrCreateAsync")]
    public ValueTask<User> HybridGetOrCreate() =>
        _hybrid.GetOrCreateAsync(Key, _user, static (user, _) => new ValueTask<User>(user));

    [Benchmark(Description = "FusionCache.GetOrSet")]
    public User FusionGetOrSet() => _fusion.GetOrSet<User>(Key, _fusionFactory, default(MaybeValue<User>));

    [Benchmark(Description = "EF Core SQLite by id (no cache)")]
    public Task<User?> EfQuery() => _repository.FindAsync<User>(BenchmarkEngine.UserId);
}
