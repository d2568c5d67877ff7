using BenchmarkDotNet.Attributes;
using Qset.Caching;
using QsetDashboard.Data;
using StackExchange.Redis;
using QsetDashboard.Styles;

namespace QsetDashboard.Benchmarks;

/// <summary>
/// A cache HIT of one user by id over a local <c>redis-server</c> (started here on a free loopback port): the raw
/// StackExchange.Redis <c>StringGet</c> round trip as the floor, our Redis backend (one round trip plus decoding the
/// envelope), and our Hybrid backend (answered from the node's L1, no round trip).
/// </summary>
[MemoryDiagnoser]
[BenchmarkCategory("redis")]
public class RedisHitBenchmarks
{
    private LocalRedis _server = null!;
    private ConnectionMultiplexer _raw = null!;
    private IDatabase _database = null!;
    private BenchmarkEngine _redis = null!;
    private BenchmarkEngine _hybrid = null!;
    private GenericCache _redisGeneric = null!;
    private GenericCache _hybridGeneric = null!;

    [GlobalSetup]
    public void Setup()
    {
        _server = LocalRedis.Start();
        var endpoint = _server.Endpoint;
        _raw = _server.Connect();
        _database = _raw.GetDatabase();
        _database.StringSet("raw:User.1", "{\"id\":1,\"name\":\"Alice\"}");

        _redis = BenchmarkEngine.Start(new Dictionary<string, string?> { ["Cache:Backend"] = "Redis", ["Cache:Redis"] = endpoint, ["Cache:RedisPrefix"] = "r:" });
        _hybrid = BenchmarkEngine.Start(new Dictionary<string, string?> { ["Cache:Backend"] = "Hybrid", ["Cache:Redis"] = endpoint, ["Cache:RedisPrefix"] = "h:" });
        _redisGeneric = _redis.Generic;
        _hybridGeneric = _hybrid.Generic;
        foreach (var cache in (GenericCache[])[_redisGeneric, _hybridGeneric])
        {
            _ = cache.GetAsync<User>(BenchmarkEngine.UserId).AsTask().GetAwaiter().GetResult();
            if (!cache.ReadAsync<User>(BenchmarkEngine.UserId).AsTask().GetAwaiter().GetResult().Hit)
            {
                throw new InvalidOperationException("The engine did not answer the warmed key from the cache.");
            }
        }
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _redis.DisposeAsync().AsTask().GetAwaiter().GetResult();
        _hybrid.DisposeAsync().AsTask().GetAwaiter().GetResult();
        _raw.Dispose();
        _server.Dispose();
    }

    [Benchmark(Baseline = true, Description = "StackExchange.Redis StringGetAsync (raw)")]
    public Task<RedisValue> RawStringGet() => _database.StringGetAsync("raw:User.1");

    [Benchmark(Description = "GenericCache.GetAsync<User> (Redis backend)")]
    public ValueTask<User?> RedisBackend() => _redisGeneric.GetAsync<User>(BenchmarkEngine.UserId);

    [Benchmark(Description = "GenericCache.GetAsync<User> (Hybrid backend, L1)")]
    public ValueTask<User?> HybridBackend() => _hybridGeneric.GetAsync<User>(BenchmarkEngine.UserId);
}
