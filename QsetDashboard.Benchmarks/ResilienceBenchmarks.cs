using BenchmarkDotNet.Attributes;
using Qset.Caching;
using QsetDashboard.Data;

namespace QsetDashboard.Benchmarks;

/// <summary>
/// What resilience costs a read: a plain hit (the baseline), the same hit with eager refresh configured (the entry not
/// yet due), a hit that hands out its own copy (<c>CopyOnRead</c>), and a fail-safe read while the database is down (a STALE hit of the value fail-safe stored, as every read
/// within the throttle is). Three engines, one setting apart, each read through <see cref="QsetCache.GetAsync{T, TState}(string, TState, Func{TState, CancellationToken, Task{T}}, CancellationToken)"/>.
/// </summary>
[MemoryDiagnoser]
[BenchmarkCategory("resilience")]
public class ResilienceBenchmarks
{
    private const string Key = "User.1";

    private static readonly Func<BenchmarkEngine, CancellationToken, Task<User?>> Load =
        static (engine, ct) => engine.Repository.FindAsync<User>(BenchmarkEngine.UserId, ct);

    private static readonly Func<BenchmarkEngine, CancellationToken, Task<User?>> DatabaseDown =
        static (_, _) => Task.FromException<User?>(new InvalidOperationException("connection refused"));

    private BenchmarkEngine _plain = null!;
    private BenchmarkEngine _eager = null!;
    private BenchmarkEngine _failSafe = null!;
    private BenchmarkEngine _copies = null!;

    [GlobalSetup]
    public void Setup()
    {
        _plain = BenchmarkEngine.Start();
        _eager = BenchmarkEngine.Start(new Dictionary<string, string?> { ["Cache:EagerRefreshThreshold"] = "0.8" });
        _failSafe = BenchmarkEngine.Start(new Dictionary<string, string?>
        {
            ["Cache:DefaultTtl"] = "00:00:01",
            ["Cache:FailSafeMaxDuration"] = "7.00:00:00",
            ["Cache:FailSafeThrottle"] = "01:00:00",
        });
        _copies = BenchmarkEngine.Start(new Dictionary<string, string?> { ["Cache:CopyOnRead"] = "true" });
        Warm(_copies, Load);
        Warm(_plain, Load);
        Warm(_eager, Load);
        Warm(_failSafe, Load);

        // The TTL runs out, the database goes down: the first read is served by fail-safe, and stores the value for the throttle.
        Thread.Sleep(TimeSpan.FromMilliseconds(1_100));
        if (!Read(_failSafe, DatabaseDown).AsTask().GetAwaiter().GetResult().Stale)
        {
            throw new InvalidOperationException("fail-safe did not answer the read with the database down.");
        }

        foreach (var (engine, load) in new[] { (_plain, Load), (_eager, Load), (_failSafe, DatabaseDown), (_copies, Load) })
        {
            if (!Read(engine, load).AsTask().GetAwaiter().GetResult().Hit)
            {
                throw new InvalidOperationException("A warmed engine did not answer from the cache.");
            }
        }
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        foreach (var engine in new[] { _plain, _eager, _failSafe, _copies })
        {
            engine.DisposeAsync().AsTask().GetAwaiter().GetResult();
        }
    }

    [Benchmark(Baseline = true, Description = "hit")]
    public ValueTask<CacheRead<User>> Hit() => Read(_plain, Load);

    [Benchmark(Description = "hit, eager refresh configured (not yet due)")]
    public ValueTask<CacheRead<User>> HitWithEagerRefresh() => Read(_eager, Load);

    [Benchmark(Description = "fail-safe read, database down (STALE hit)")]
    public ValueTask<CacheRead<User>> FailSafeRead() => Read(_failSafe, DatabaseDown);

    [Benchmark(Description = "hit, CopyOnRead (its own copy, through JSON)")]
    public ValueTask<CacheRead<User>> HitWithCopy() => Read(_copies, Load);

    private static ValueTask<CacheRead<User>> Read(BenchmarkEngine engine, Func<BenchmarkEngine, CancellationToken, Task<User?>> load) =>
        engine.Cache.GetAsync(Key, engine, load);

    private static void Warm(BenchmarkEngine engine, Func<BenchmarkEngine, CancellationToken, Task<User?>> load) =>
        _ = Read(engine, load).AsTask().GetAwaiter().GetResult();
}
