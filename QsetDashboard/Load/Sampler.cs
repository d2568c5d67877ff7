namespace QsetDashboard.Load;

/// <summary>Turns the clients' running counts into snapshots: per-window rates and percentiles, or whole-run ones.</summary>
internal sealed class Sampler(LoadSettings settings, ClientStats[] cached, ClientStats[] uncached)
{
    private readonly long[] _previousCached = new long[LatencyHistogram.BucketCount];
    private readonly long[] _previousUncached = new long[LatencyHistogram.BucketCount];
    private Counts _previous;
    private TimeSpan _previousAt;

    public LoadSnapshot Take(TimeSpan elapsed, bool window)
    {
        var cachedBuckets = Sum(cached);
        var uncachedBuckets = Sum(uncached);
        var now = Count();
        var since = window ? _previous : default;
        var seconds = Math.Max((elapsed - (window ? _previousAt : TimeSpan.Zero)).TotalSeconds, 1e-3);
        var cachedWindow = window ? Minus(cachedBuckets, _previousCached) : cachedBuckets;
        var uncachedWindow = window ? Minus(uncachedBuckets, _previousUncached) : uncachedBuckets;

        var reads = now.Reads - since.Reads;
        var snapshot = new LoadSnapshot(
            elapsed,
            Math.Clamp(elapsed / settings.Duration, 0, 1),
            (reads + now.Writes - since.Writes) / seconds,
            (now.UncachedReads - since.UncachedReads) / seconds,
            reads == 0 ? 0 : (double)(now.Hits - since.Hits) / reads,
            LatencyHistogram.Percentile(cachedWindow, 0.50) / 1_000,
            LatencyHistogram.Percentile(cachedWindow, 0.99) / 1_000,
            LatencyHistogram.Percentile(uncachedWindow, 0.50) / 1_000,
            LatencyHistogram.Percentile(uncachedWindow, 0.99) / 1_000,
            new LoadTotals(
                now.Reads,
                now.Hits,
                now.Writes,
                now.UncachedReads,
                now.Errors,
                now.UncachedReads == 0 ? 0 : now.UncachedNanoseconds / 1_000.0 / now.UncachedReads));

        if (window)
        {
            _previous = now;
            _previousAt = elapsed;
            cachedBuckets.CopyTo(_previousCached, 0);
            uncachedBuckets.CopyTo(_previousUncached, 0);
        }

        return snapshot;
    }

    private static long[] Sum(ClientStats[] clients)
    {
        var totals = new long[LatencyHistogram.BucketCount];
        foreach (var client in clients)
        {
            client.ReadLatency.AddTo(totals);
        }

        return totals;
    }

    private static long[] Minus(long[] current, long[] previous)
    {
        var result = new long[current.Length];
        for (var i = 0; i < result.Length; i++)
        {
            result[i] = Math.Max(current[i] - previous[i], 0);
        }

        return result;
    }

    private Counts Count()
    {
        var counts = default(Counts);
        foreach (var c in cached)
        {
            counts = counts with { Reads = counts.Reads + c.Reads, Hits = counts.Hits + c.Hits, Writes = counts.Writes + c.Writes, Errors = counts.Errors + c.Errors };
        }

        foreach (var c in uncached)
        {
            counts = counts with
            {
                UncachedReads = counts.UncachedReads + c.Reads,
                UncachedNanoseconds = counts.UncachedNanoseconds + c.ReadNanoseconds,
                Errors = counts.Errors + c.Errors,
            };
        }

        return counts;
    }

    private readonly record struct Counts(long Reads, long Hits, long Writes, long Errors, long UncachedReads, long UncachedNanoseconds);
}
