using System.Diagnostics.Metrics;

namespace Qset.Caching;

/// <summary>
/// Publishes the cache's counters as the <see cref="QsetTelemetry.MeterName"/> meter, for dotnet-counters and
/// OpenTelemetry: an observable counter per event kind and the entries held (reads by outcome and their durations are
/// <see cref="ReadTelemetry"/>'s).
/// </summary>
internal sealed class CacheMetrics : IDisposable
{
    /// <summary>The meter's name.</summary>
    public const string MeterName = QsetTelemetry.MeterName;

    private readonly Meter _meter;

    /// <summary>Creates the meter's instruments over <paramref name="counters"/> and <paramref name="store"/>.</summary>
    public CacheMetrics(IMeterFactory meterFactory, CacheCounters counters, ICacheStore store)
    {
        ArgumentNullException.ThrowIfNull(meterFactory);
        _meter = meterFactory.Create(MeterName);
        Observe("qset.cache.hits", "Reads answered by the cache", () => counters.Of(CacheEventKind.Hit));
        Observe("qset.cache.misses", "Reads that went to the database", () => counters.Of(CacheEventKind.Miss));
        Observe("qset.cache.populates", "Values stored after a miss", () => counters.Of(CacheEventKind.Populate));
        Observe("qset.cache.invalidations", "Keys removed by writes", () => counters.Of(CacheEventKind.Invalidate));
        Observe("qset.cache.evictions", "Keys dropped for capacity", () => counters.Of(CacheEventKind.Evict));
        Observe("qset.cache.expirations", "Keys whose TTL ran out", () => counters.Of(CacheEventKind.Expire));
        Observe("qset.cache.rejects", "Populates refused as possibly stale", () => counters.Of(CacheEventKind.Reject));
        Observe("qset.cache.db_queries", "Database reads issued by the cache", () => counters.DbQueries);
        _meter.CreateObservableUpDownCounter("qset.cache.entries", () => store.Count, "{entry}", "Entries held");
        _meter.CreateObservableUpDownCounter("qset.cache.capacity", () => store.Capacity, "{entry}", "Most entries held");
    }

    /// <inheritdoc />
    public void Dispose() => _meter.Dispose();

    private void Observe(string name, string description, Func<long> read) =>
        _meter.CreateObservableCounter(name, read, "{event}", description);
}
