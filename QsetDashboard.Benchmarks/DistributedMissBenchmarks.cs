using BenchmarkDotNet.Attributes;
using Qset.Caching;
using QsetDashboard.Data;
using StackExchange.Redis;

namespace QsetDashboard.Benchmarks;

/// <summary>
/// What one database read per key across nodes costs a miss on the Redis backend (a local <c>redis-server</c>): the
/// same invalidate-then-read of one user, with <c>Cache:DistributedLoadWait</c> 0 (no lease: the baseline) and at its
/// default (a <c>SET NX</c> before the read, its release not awaited), beside one raw Redis round trip for scale.
/// </summary>
[MemoryDiagnoser]
[BenchmarkCategory("redis")]
public class DistributedMissBenchmarks
{
    private const string Key = "User.1";

    private static readonly Func<BenchmarkEngine, CancellationToken, Task<User?>> Load =
        static (engine, ct) => engine.Repository.FindAsync<User>(BenchmarkEngine.UserId, ct);

    private LocalRedis _server = null!;
    private ConnectionMultiplexer _raw = null!;
    private IDatabase _database = null!;
    private BenchmarkEngine _local = null!;
    private BenchmarkEngine _leased = null!;

    [GlobalSetup]
    public void Setup()
    {
        _server = LocalRedis.Start();
        _raw = _server.Connect();
        _database = _raw.GetDatabase();
        _database.StringSet("raw:User.1", "{\"id\":1,\"name\":\"Alice\"}");
        _local = BenchmarkEngine.Start(new Dictionary<string, string?>
        {
            ["Cache:Backend"] = "Redis", ["Cache:Redis"] = _server.Endpoint, ["Cache:RedisPrefix"] = "l:", ["Cache:DistributedLoadWait"] = "00:00:00",
        });
        _leased = BenchmarkEngine.Start(new Dictionary<string, string?>
        {
            ["Cache:Backend"] = "Redis", ["Cache:Redis"] = _server.Endpoint, ["Cache:RedisPrefix"] = "d:",
        });
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _local.DisposeAsync().AsTask().GetAwaiter().GetResult();
        _leased.DisposeAsync().AsTask().GetAwaiter().GetResult();
        _raw.Dispose();
        _server.Dispose();
    }

    [Benchmark(Description = "StackExchange.Redis StringGetAsync (one round trip)")]
    public Task<RedisValue> RoundTrip() => _database.StringGetAsync("raw:User.1");

    [Benchmark(Baseline = true, Description = "invalidate + miss, no lease (DistributedLoadWait 0)")]
    public Task<CacheRead<User>> MissWithoutLease() => MissAsync(_local);

    [Benchmark(Description = "invalidate + miss, the lease (one read per key across nodes)")]
    public Task<CacheRead<User>> MissWithLease() => MissAsync(_leased);

    private static async Task<CacheRead<User>> MissAsync(BenchmarkEngine engine)
    {
        await engine.Cache.InvalidateAsync(Key, nameof(User));
        return await engine.Cache.GetAsync(Key, engine, Load);
    }
}
