using System.Collections.Concurrent;
using BenchmarkDotNet.Attributes;
using Microsoft.Extensions.Caching.Memory;
using Qset.Caching;
using QsetDashboard.Data;
using ZiggyCreatures.Caching.Fusion;
using QsetDashboard.Styles;

namespace QsetDashboard.Benchmarks;

/// <summary>
/// Hits by id on 1 and 2 threads. Each invocation does the same total number of hits over 64 warmed keys, split
/// evenly across <see cref="Threads"/> threads, so when hits scale perfectly the mean time halves from 1 to 2
/// threads. Ours (GenericCache on the memory store, every event counted and journaled), raw <c>IMemoryCache</c>,
/// FusionCache and a bare <c>ConcurrentDictionary</c>.
/// </summary>
[BenchmarkCategory("concurrency")]
public class ConcurrentHitBenchmarks
{
    private const int Keys = 64;
    private const int HitsPerInvocation = 200_000;

    private BenchmarkEngine _engine = null!;
    private GenericCache _generic = null!;
    private MemoryCache _memory = null!;
    private FusionCache _fusion = null!;
    private ConcurrentDictionary<string, User> _dictionary = null!;
    private string[] _keys = null!;

    /// <summary>How many threads share the hits.</summary>
    [Params(1, 2)]
    public int Threads { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        _engine = BenchmarkEngine.Start();
        _generic = _engine.Generic;
        _memory = new MemoryCache(new MemoryCacheOptions());
        _fusion = new FusionCache(new FusionCacheOptions());
        _dictionary = new ConcurrentDictionary<string, User>(StringComparer.Ordinal);
        _keys = [.. Enumerable.Range(1, Keys).Select(CacheKeys.For<User>)];
        for (var id = 1; id <= Keys; id++)
        {
            var user = new User { Id = id, Name = $"u{id}" };
            _engine.Repository.UpsertAsync(user).GetAwaiter().GetResult();
            _ = _generic.GetAsync<User>(id).AsTask().GetAwaiter().GetResult();
            _memory.Set(_keys[id - 1], user, TimeSpan.FromHours(1));
            _fusion.Set(_keys[id - 1], user, TimeSpan.FromHours(1));
            _dictionary[_keys[id - 1]] = user;
        }

        if (!_generic.ReadAsync<User>(1).AsTask().GetAwaiter().GetResult().Hit)
        {
            throw new InvalidOperationException("The engine did not answer the warmed key from the cache.");
        }
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _fusion.Dispose();
        _memory.Dispose();
        _engine.DisposeAsync().AsTask().GetAwaiter().GetResult();
    }

    [Benchmark(Baseline = true, Description = "IMemoryCache.TryGetValue (raw)")]
    public void RawMemoryCache() => Split(static (self, i) => self._memory.TryGetValue(self._keys[i & (Keys - 1)], out _));

    [Benchmark(Description = "Qset GenericCache.GetAsync<User>, memory store")]
    public void Ours() => Split(static (self, i) => self._generic.GetAsync<User>((i & (Keys - 1)) + 1).GetAwaiter().GetResult());

    [Benchmark(Description = "FusionCache.TryGet")]
    public void Fusion() => Split(static (self, i) => self._fusion.TryGet<User>(self._keys[i & (Keys - 1)]));

    [Benchmark(Description = "ConcurrentDictionary.TryGetValue")]
    public void Dictionary() => Split(static (self, i) => self._dictionary.TryGetValue(self._keys[i & (Keys - 1)], out _));

    private void Split(Action<ConcurrentHitBenchmarks, int> hit)
    {
        // Dedicated threads in both cases, so that 1 and 2 threads pay the same start-up.
        var share = HitsPerInvocation / Threads;
        var threads = new Thread[Threads];
        for (var t = 0; t < Threads; t++)
        {
            var offset = t * 17;
            threads[t] = new Thread(() =>
            {
                for (var i = 0; i < share; i++)
                {
                    hit(this, i + offset);
                }
            });
            threads[t].Start();
        }

        foreach (var thread in threads)
        {
            thread.Join();
        }
    }
}
