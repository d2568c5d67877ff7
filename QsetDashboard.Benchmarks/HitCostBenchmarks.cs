using BenchmarkDotNet.Attributes;
using Microsoft.Extensions.Caching.Memory;
using Microsoft.Extensions.DependencyInjection;
using Qset.Caching;
using QsetDashboard.Data;
using QsetDashboard.Styles;

namespace QsetDashboard.Benchmarks;

/// <summary>
/// Where a hit's time goes: the raw <c>IMemoryCache</c> lookup, our whole hit (<c>GenericCache</c> on the memory
/// store), and each part of ours on its own: the store's lookup with its TTL check, the table-stamp check, the
/// recording of the HIT (given the time the store read), and inside that the async-local source and the journal's
/// per-thread buffer. The parts add up to about the whole; run it before and after a change to the hit path.
/// </summary>
[BenchmarkCategory("hit")]
public class HitCostBenchmarks
{
    private const string Key = "User.1";

    private BenchmarkEngine _engine = null!;
    private MemoryCache _memory = null!;
    private GenericCache _generic = null!;
    private ICacheStore _store = null!;
    private TableVersions _versions = null!;
    private CacheEntry _entry = null!;
    private CacheRecorder _recorder = null!;
    private EventJournal _journal = null!;
    private TimeProviderClock _clock = null!;
    private long _now;

    [GlobalSetup]
    public void Setup()
    {
        _engine = BenchmarkEngine.Start();
        _generic = _engine.Generic;
        var cache = _engine.Cache;
        _store = cache.Store;
        _versions = cache.Versions;
        _recorder = _engine.Services.GetRequiredService<CacheRecorder>();
        _journal = _recorder.Journal;
        _clock = new TimeProviderClock(TimeProvider.System);
        var user = _engine.Repository.FindAsync<User>(BenchmarkEngine.UserId).GetAwaiter().GetResult()!;
        _memory = new MemoryCache(new MemoryCacheOptions());
        _memory.Set(Key, user, TimeSpan.FromMinutes(5));
        _ = _generic.GetAsync<User>(BenchmarkEngine.UserId).AsTask().GetAwaiter().GetResult();
        _entry = _store.GetAsync(Key).AsTask().GetAwaiter().GetResult()
            ?? throw new InvalidOperationException("The engine did not cache the warmed key.");
        _now = _clock.UtcNow.UtcTicks;
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _memory.Dispose();
        _engine.DisposeAsync().AsTask().GetAwaiter().GetResult();
    }

    [Benchmark(Baseline = true, Description = "IMemoryCache.TryGetValue (raw)")]
    public object? Raw() => _memory.TryGetValue(Key, out var value) ? value : null;

    [Benchmark(Description = "GenericCache.GetAsync<User> (the whole hit)")]
    public ValueTask<User?> Generic() => _generic.GetAsync<User>(BenchmarkEngine.UserId);

    [Benchmark(Description = "memory store lookup + TTL check")]
    public ValueTask<CacheEntry?> StoreGet() => _store.GetAsync(Key);

    [Benchmark(Description = "table-stamp check")]
    public bool Stamps() => _versions.IsCurrent(_entry.StampArray, out _);

    [Benchmark(Description = "recording the HIT")]
    public void RecordHit() => _recorder.RecordHit(Key, "User", _now);

    [Benchmark(Description = "coarse clock read")]
    public long Clock() => _clock.UtcNow.UtcTicks;

    [Benchmark(Description = "ambient source (async-local)")]
    public string Source() => CacheContext.Current(out _);

    [Benchmark(Description = "journal's per-thread HIT buffer")]
    public void JournalHit() => _journal.AppendHit(DateTimeOffset.UnixEpoch, Key, "User", CacheContext.DefaultSource);
}
