namespace Qset.Caching;

/// <summary>
/// Running totals of what the cache did; lock-free, read by the stats endpoint, the dashboard and the meter.
/// Each count goes to the stripe of the processor the thread runs on, each stripe on cache lines of its own, so two
/// threads hitting the cache at once do not fight over one counter; a reading sums the stripes, so it stays exact.
/// </summary>
internal sealed class CacheCounters
{
    // A stripe's counters span one or more whole 64-byte lines, kinds and the database-query count together.
    private const int LongsPerLine = 8;

    private static readonly int Kinds = CacheEventKinds.All.Count;
    private static readonly int Stride = (((Kinds + 1) + LongsPerLine - 1) / LongsPerLine * LongsPerLine) + LongsPerLine;

    private readonly int _stripeMask;
    private readonly long[] _counts;

    // Hits that went to a journal's per-thread buffers are counted there (a hit then writes one counter fewer);
    // a reset remembers how many there were.
    private EventJournal? _bufferedHits;
    private long _bufferedHitsAtReset;

    /// <summary>Creates the counters, with a stripe per processor (a power of two).</summary>
    public CacheCounters()
    {
        var stripes = (int)System.Numerics.BitOperations.RoundUpToPowerOf2((uint)Math.Max(Environment.ProcessorCount, 1));
        _stripeMask = stripes - 1;

        // One spare line before the first stripe, so it shares no line with the array's header.
        _counts = new long[LongsPerLine + (stripes * Stride)];
    }

    /// <summary>Counts one event of <paramref name="kind"/>.</summary>
    public void Count(CacheEventKind kind) => Interlocked.Increment(ref _counts[Slot((int)kind)]);

    /// <summary>Counts <paramref name="events"/> events of <paramref name="kind"/> at once (a summary event stands for them).</summary>
    internal void CountMany(CacheEventKind kind, long events) => Interlocked.Add(ref _counts[Slot((int)kind)], events);

    /// <summary>Counts one database read issued by the cache.</summary>
    public void CountDbQuery() => Interlocked.Increment(ref _counts[Slot(Kinds)]);

    /// <summary>How many events of <paramref name="kind"/> were counted.</summary>
    public long Of(CacheEventKind kind) =>
        kind == CacheEventKind.Hit && Volatile.Read(ref _bufferedHits) is { } journal
            ? Sum((int)kind) + journal.BufferedHitsTaken - Volatile.Read(ref _bufferedHitsAtReset)
            : Sum((int)kind);

    /// <summary>
    /// Counts the hits <paramref name="journal"/> buffers (<see cref="EventJournal.AppendHit"/>) as hits, so that
    /// whoever buffers a hit there does not also <see cref="Count"/> it.
    /// </summary>
    internal void CountBufferedHitsOf(EventJournal journal)
    {
        if (Interlocked.CompareExchange(ref _bufferedHits, journal, null) is { } other && !ReferenceEquals(other, journal))
        {
            throw new InvalidOperationException("These counters already count the buffered hits of another journal.");
        }
    }

    /// <summary>How many database reads the cache issued.</summary>
    public long DbQueries => Sum(Kinds);

    /// <summary>Sets every counter back to zero.</summary>
    public void Reset()
    {
        for (var i = 0; i < _counts.Length; i++)
        {
            Interlocked.Exchange(ref _counts[i], 0);
        }

        if (Volatile.Read(ref _bufferedHits) is { } journal)
        {
            Volatile.Write(ref _bufferedHitsAtReset, journal.BufferedHitsTaken);
        }
    }

    // The processor id is a hint (a thread may move right after reading it); any stripe gives an exact sum, the
    // thread's own just keeps its line out of the other cores' caches.
    private int Slot(int counter) => LongsPerLine + ((Thread.GetCurrentProcessorId() & _stripeMask) * Stride) + counter;

    private long Sum(int counter)
    {
        long total = 0;
        for (var stripe = 0; stripe <= _stripeMask; stripe++)
        {
            total += Volatile.Read(ref _counts[LongsPerLine + (stripe * Stride) + counter]);
        }

        return total;
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
    /// <summary>Where the database change feed stands: whether writes from outside this app invalidate, and how late.</summary>
    public DatabaseFeedStatus Feed { get; init; } = DatabaseFeedStatus.Off;

    /// <summary>Reads answered by fail-safe: a value past its TTL, served because the database read failed.</summary>
    public long Stale { get; init; }

    /// <summary>Background database reads eager refresh started (a hit past <see cref="CacheOptions.EagerRefreshThreshold"/> of its TTL).</summary>
    public long Refreshes { get; init; }

    /// <summary>Hits over reads, 0 when nothing was read.</summary>
    public double HitRatio => Hits + Misses == 0 ? 0 : (double)Hits / (Hits + Misses);

    /// <summary>The reads the cache answered without the database.</summary>
    public long DbQueriesSaved => Hits;
}
