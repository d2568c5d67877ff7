namespace Qset.Caching;

/// <summary>
/// Where HIT events wait before they reach the journal: one small single-producer ring per thread, so a hit writes
/// only memory its own thread owns. A thread's buffer is drained into the journal in one batch, claiming all its
/// sequence numbers with one atomic add, when it fills, and by anyone before any other event is appended or the
/// journal is read (so a reader never misses a hit that happened before it read, and a thread's events keep their
/// order), and by a timer, so that subscribers see hits within a tenth of a second when nothing else happens.
/// The buffers also count the hits they took (<see cref="Total"/>), so a hit needs no counter of its own.
/// </summary>
internal sealed class HitBuffers : IDisposable
{
    private const int Size = 256;
    private const int Mask = Size - 1;

    private readonly EventJournal _journal;
    private readonly ThreadLocal<Buffer> _own;
    private readonly Lock _registryLock = new();
    private readonly ITimer _flush;

    // The live buffers and the hits of the dropped ones, published together, so a reading of the total never counts
    // a dropped buffer twice or not at all.
    private Registry _registry = new([], 0);

    public HitBuffers(EventJournal journal, TimeProvider timeProvider)
    {
        _journal = journal;
        _own = new ThreadLocal<Buffer>(Register);
        _flush = timeProvider.CreateTimer(static state => ((HitBuffers)state!).DrainAll(), this, TimeSpan.FromMilliseconds(100), TimeSpan.FromMilliseconds(100));
    }

    /// <summary>Buffers one hit on the calling thread.</summary>
    public void Add(DateTimeOffset timestamp, string key, string entityType, string source)
    {
        var buffer = _own.Value!;
        var written = buffer.Written;
        if (written - Volatile.Read(ref buffer.Read) == Size)
        {
            // Not waking the subscribers from here (see EventJournal.AppendHits): the tick or the next event does.
            buffer.Drain(_journal, signal: false);
        }

        buffer.Ring[written & Mask] = new PendingHit(timestamp, key, entityType, source);
        Volatile.Write(ref buffer.Written, written + 1);
    }

    /// <summary>
    /// How many hits were ever buffered, on every thread: exact for every hit that happened before the read (each
    /// buffer's count is written by its own thread only, and a dropped buffer's count is kept).
    /// </summary>
    public long Total
    {
        get
        {
            var registry = Volatile.Read(ref _registry);
            var total = registry.Retired;
            foreach (var buffer in registry.All)
            {
                total += Volatile.Read(ref buffer.Written);
            }

            return total;
        }
    }

    /// <summary>Moves every buffered hit of every thread into the journal.</summary>
    public void DrainAll()
    {
        foreach (var buffer in Volatile.Read(ref _registry).All)
        {
            if (Volatile.Read(ref buffer.Written) != Volatile.Read(ref buffer.Read))
            {
                buffer.Drain(_journal);
            }
        }

        _journal.SignalHitsWaiting();
    }

    /// <inheritdoc />
    public void Dispose()
    {
        _flush.Dispose();
        _own.Dispose();
    }

    private Buffer Register()
    {
        var buffer = new Buffer(Thread.CurrentThread);
        lock (_registryLock)
        {
            // Threads come and go (the pool's are reused; others are not): the buffers of finished threads are
            // drained and dropped, so the registry holds about one buffer per live thread.
            var (all, retired) = _registry;
            if (all.Length >= 2 * Environment.ProcessorCount + 16)
            {
                // A finished thread writes no more: its buffer is drained, and its count moves to the retired total.
                var finished = all.Where(b => !b.Owner.IsAlive).ToList();
                foreach (var done in finished)
                {
                    done.Drain(_journal);
                    retired += Volatile.Read(ref done.Written);
                }

                all = [.. all.Except(finished)];
            }

            Volatile.Write(ref _registry, new Registry([.. all, buffer], retired));
        }

        return buffer;
    }

    /// <summary>The live buffers, and the hits the dropped ones took.</summary>
    private sealed record Registry(Buffer[] All, long Retired);

    /// <summary>A hit waiting for its journal slot.</summary>
    internal readonly record struct PendingHit(DateTimeOffset Timestamp, string Key, string EntityType, string Source);

    /// <summary>One thread's ring: that thread writes, any thread drains (drainers take turns).</summary>
    private sealed class Buffer(Thread owner)
    {
        public readonly Thread Owner = owner;
        public readonly PendingHit[] Ring = new PendingHit[Size];
        public readonly Lock DrainLock = new();
        public long Written;
        public long Read;

        public void Drain(EventJournal journal, bool signal = true)
        {
            lock (DrainLock)
            {
                var from = Read;
                var to = Volatile.Read(ref Written);
                if (to == from)
                {
                    return;
                }

                journal.AppendHits(Ring, from, to, Mask, signal);
                Volatile.Write(ref Read, to);
            }
        }
    }
}
