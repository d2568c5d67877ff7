namespace QsetDashboard.Caching;

/// <summary>Running totals of what the cache did; lock-free, read by the stats endpoint, the dashboard and the meter.</summary>
public sealed class CacheCounters
{
    private readonly long[] _byKind = new long[CacheEventKinds.All.Count];
    private long _dbQueries;

    /// <summary>Counts one event of <paramref name="kind"/>.</summary>
    public void Count(CacheEventKind kind) => Interlocked.Increment(ref _byKind[(int)kind]);

    /// <summary>Counts one database read issued by the cache.</summary>
    public void CountDbQuery() => Interlocked.Increment(ref _dbQueries);

    /// <summary>How many events of <paramref name="kind"/> were counted.</summary>
    public long Of(CacheEventKind kind) => Volatile.Read(ref _byKind[(int)kind]);

    /// <summary>How many database reads the cache issued.</summary>
    public long DbQueries => Volatile.Read(ref _dbQueries);

    /// <summary>Sets every counter back to zero.</summary>
    public void Reset()
    {
        for (var i = 0; i < _byKind.Length; i++)
        {
            Interlocked.Exchange(ref _byKind[i], 0);
        }

        Interlocked.Exchange(ref _dbQueries, 0);
    }
}

/// <summary>A consistent-enough reading of the counters and the store's size.</summary>
public sealed record CacheStats(
    string Backend,
    long Hits,
    long Misses,
    long Populates,
    long Invalidations,
    long Evictions,
    long Expirations,
    long Rejects,
    long Clashes,
    long Errors,
    long DbQueries,
    int Entries,
    int Capacity)
{
    /// <summary>Hits over reads, 0 when nothing was read.</summary>
    public double HitRatio => Hits + Misses == 0 ? 0 : (double)Hits / (Hits + Misses);

    /// <summary>The reads the cache answered without the database.</summary>
    public long DbQueriesSaved => Hits;
}
