namespace QsetDashboard.Load;

/// <summary>One load client's counts and read latencies. One writer (the client); the sampler reads.</summary>
internal sealed class ClientStats
{
    private long _reads;
    private long _hits;
    private long _writes;
    private long _errors;
    private long _readNanoseconds;

    public LatencyHistogram ReadLatency { get; } = new();

    public long Reads => Volatile.Read(ref _reads);

    public long Hits => Volatile.Read(ref _hits);

    public long Writes => Volatile.Read(ref _writes);

    public long Errors => Volatile.Read(ref _errors);

    public long ReadNanoseconds => Volatile.Read(ref _readNanoseconds);

    public void RecordRead(long nanoseconds, bool hit)
    {
        ReadLatency.Record(nanoseconds);
        Volatile.Write(ref _readNanoseconds, _readNanoseconds + nanoseconds);
        if (hit)
        {
            Volatile.Write(ref _hits, _hits + 1);
        }

        Volatile.Write(ref _reads, _reads + 1);
    }

    public void RecordWrite() => Volatile.Write(ref _writes, _writes + 1);

    public void RecordError() => Volatile.Write(ref _errors, _errors + 1);
}
