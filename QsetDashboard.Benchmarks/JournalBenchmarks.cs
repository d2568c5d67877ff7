using BenchmarkDotNet.Attributes;
using Microsoft.Extensions.DependencyInjection;
using Qset.Caching;

namespace QsetDashboard.Benchmarks;

/// <summary>The cost of recording one event: the journal append alone, and the recorder's whole path for a HIT.</summary>
[MemoryDiagnoser]
[BenchmarkCategory("journal")]
public class JournalBenchmarks
{
    private BenchmarkEngine _engine = null!;
    private EventJournal _journal = null!;
    private CacheRecorder _recorder = null!;
    private CacheEvent _event;

    [GlobalSetup]
    public void Setup()
    {
        _engine = BenchmarkEngine.Start();
        _journal = _engine.Cache.Journal;
        _recorder = _engine.Services.GetRequiredService<CacheRecorder>();
        _event = new CacheEvent(0, DateTimeOffset.UtcNow, CacheEventKind.Hit, "User.1", "User", CacheContext.DefaultSource, TimeSpan.FromTicks(1), null);
    }

    [GlobalCleanup]
    public void Cleanup() => _engine.DisposeAsync().AsTask().GetAwaiter().GetResult();

    [Benchmark(Description = "EventJournal.Append")]
    public long Append() => _journal.Append(_event).Sequence;

    [Benchmark(Description = "CacheRecorder.Record (HIT)")]
    public long Record() => _recorder.Record(CacheEventKind.Hit, "User.1", "User", TimeSpan.FromTicks(1)).Sequence;
}
