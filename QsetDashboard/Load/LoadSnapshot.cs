namespace QsetDashboard.Load;

/// <summary>
/// One point of a run's live charts: rates and percentiles over the last sample window, totals since the start.
/// Latencies are in microseconds, measured by the clients around each call.
/// </summary>
/// <param name="Elapsed">Time since the run started.</param>
/// <param name="Progress">Elapsed over the planned duration, 0–1.</param>
/// <param name="CachedOpsPerSecond">Reads and writes through the cache per second, in this window.</param>
/// <param name="UncachedOpsPerSecond">Direct database reads per second by the uncached readers, in this window.</param>
/// <param name="HitRatio">Cache hits over cached reads in this window, 0–1.</param>
/// <param name="CachedP50Us">Median latency of a cached read in this window.</param>
/// <param name="CachedP99Us">99th percentile latency of a cached read in this window.</param>
/// <param name="UncachedP50Us">Median latency of an uncached read in this window.</param>
/// <param name="UncachedP99Us">99th percentile latency of an uncached read in this window.</param>
/// <param name="Totals">Counts since the start.</param>
public sealed record LoadSnapshot(
    TimeSpan Elapsed,
    double Progress,
    double CachedOpsPerSecond,
    double UncachedOpsPerSecond,
    double HitRatio,
    double CachedP50Us,
    double CachedP99Us,
    double UncachedP50Us,
    double UncachedP99Us,
    LoadTotals Totals);

/// <summary>Counts since a run started.</summary>
/// <param name="Reads">Cached reads.</param>
/// <param name="Hits">Cached reads the cache answered.</param>
/// <param name="Writes">Writes (save, then invalidate).</param>
/// <param name="UncachedReads">Direct database reads by the uncached readers.</param>
/// <param name="Errors">Operations that threw (counted, not fatal).</param>
/// <param name="MeanUncachedReadUs">Mean latency of an uncached read.</param>
public sealed record LoadTotals(long Reads, long Hits, long Writes, long UncachedReads, long Errors, double MeanUncachedReadUs)
{
    /// <summary>Hits over cached reads, 0–1.</summary>
    public double HitRatio => Reads == 0 ? 0 : (double)Hits / Reads;

    /// <summary>Database time the hits saved: each hit would have been an uncached read of the mean latency.</summary>
    public TimeSpan DbTimeSaved => TimeSpan.FromMicroseconds(Hits * MeanUncachedReadUs);
}

/// <summary>How a run ended, with its whole series of snapshots.</summary>
/// <param name="Settings">What ran.</param>
/// <param name="Cancelled">True when it was stopped before its duration.</param>
/// <param name="Elapsed">How long it ran.</param>
/// <param name="Final">The last snapshot, over the whole run (percentiles of every operation).</param>
/// <param name="Series">Every snapshot taken during the run, oldest first.</param>
public sealed record LoadResult(LoadSettings Settings, bool Cancelled, TimeSpan Elapsed, LoadSnapshot Final, IReadOnlyList<LoadSnapshot> Series);
