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
/// A cache MISS of one user by id. Each operation first removes the key (in our engine, an invalidation, which
/// is recorded), so that the read that follows really misses, reads the row from SQLite and stores it again.
/// Every column therefore pays for one remove, one miss, one EF Core query and one store.
/// </summary>
[MemoryDiagnoser]
[BenchmarkCategory("miss")]
public class CacheMissBenchmarks
{
    private const string Key = "User.1";

    private BenchmarkEngine _engine = null!;
    private MemoryCache _memory = null!;
    private ServiceProvider _peers = null!;
    private HybridCache _hybrid = null!;
    private FusionCache _fusion = null!;
    private QsetCache _cache = null!;
    private SimpleCache _simple = null!;
    private GenericCache _generic = null!;
    private ModelCache<User> _users = null!;
    private EntityRepository _repository = null!;
    private Func<FusionCacheFactoryExecutionContext<User?>, CancellationToken, Task<User?>> _fusionFactory = null!;

    [GlobalSetup]
    public void Setup()
    {
        _engine = BenchmarkEngine.Start();
        _cache = _engine.Cache;
        _simple = _engine.Simple;
        _generic = _engine.Generic;
        _users = _engine.Users;
        _repository = _engine.Repository;
        _memory = new MemoryCache(new MemoryCacheOptions());
        _peers = new ServiceCollection().AddHybridCache().Services.BuildServiceProvider();
        _hybrid = _peers.GetRequiredService<HybridCache>();
        _fusion = new FusionCache(new FusionCacheOptions());
        _fusionFactory = (_, ct) => _repository.FindAsync<User>(BenchmarkEngine.UserId, ct);
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _fusion.Dispose();
        _peers.Dispose();
        _memory.Dispose();
        _engine.DisposeAsync().AsTask().GetAwaiter().GetResult();
    }

    [Benchmark(Baseline = true, Description = "IMemoryCache remove+miss+EF+set (raw)")]
    public async Task<User?> RawMemoryCache()
    {
        _memory.Remove(Key);
        if (_memory.TryGetValue(Key, out User? user))
        {
            throw new InvalidOperationException("expected a miss");
        }

        user = await _repository.FindAsync<User>(BenchmarkEngine.UserId);
        _memory.Set(Key, user, TimeSpan.FromMinutes(5));
        return user;
    }

    [Benchmark(Description = "SimpleCache.GetUserAsync")]
    public async Task<User?> Simple()
    {
        await _cache.InvalidateAsync(CacheKeys.Bare(BenchmarkEngine.UserId), nameof(User));
        return await _simple.GetUserAsync(BenchmarkEngine.UserId);
    }

    [Benchmark(Description = "GenericCache.GetAsync<User>")]
    public async Task<User?> Generic()
    {
        await _cache.InvalidateAsync(Key, nameof(User));
        return await _generic.GetAsync<User>(BenchmarkEngine.UserId);
    }

    [Benchmark(Description = "ModelCache<User>.GetAsync")]
    public async Task<User?> Model()
    {
        await _cache.InvalidateAsync(Key, nameof(User));
        return await _users.GetAsync(BenchmarkEngine.UserId);
    }

    [Benchmark(Description = "HybridCache.GetOrCreateAsync")]
    public async Task<User?> HybridGetOrCreate()
    {
        await _hybrid.RemoveAsync(Key);
        return await _hybrid.GetOrCreateAsync(
            Key, _repository, static (repository, ct) => new ValueTask<User?>(repository.FindAsync<User>(BenchmarkEngine.UserId, ct)));
    }

    [Benchmark(Description = "FusionCache.GetOrSetAsync")]
    public async Task<User?> FusionGetOrSet()
    {
        _fusion.Remove(Key);
        return await _fusion.GetOrSetAsync<User?>(Key, _fusionFactory, default(MaybeValue<User?>));
    }

    [Benchmark(Description = "EF Core SQLite by id (no cache)")]
    public Task<User?> EfQuery() => _repository.FindAsync<User>(BenchmarkEngine.UserId);
}
