namespace Qset.Caching;

/// <summary>
/// One of the memory store's orders kept on demand (by TTL, by size): a sorted set of the store's entries, built in
/// the background when a listing first asks for that order, kept as entries come and go while it is used, and dropped
/// once no listing has asked for it in <see cref="IdleAfter"/>. An order no one looks at costs nothing; while kept, it
/// costs one tree node per entry and O(log n) per populate and removal. By size, an entry is measured (its JSON
/// written once) off the store's lock: a new entry waits in a queue that the next listing, or the store's
/// once-a-second scan, measures and files.
/// </summary>
/// <remarks>The store calls every member under its write lock; only the measuring of queued entries happens outside it.</remarks>
internal sealed class EntryOrderIndex
{
    /// <summary>How long an order is kept after the last listing that asked for it.</summary>
    public static readonly TimeSpan IdleAfter = TimeSpan.FromMinutes(10);

    private List<CacheEntry> _queued = [];
    private Task _ready = Task.CompletedTask;
    private long _lastUsed;

    /// <summary>Creates the (inactive) index of <paramref name="order"/>: <see cref="CacheOrder.Ttl"/> or <see cref="CacheOrder.Size"/>.</summary>
    public EntryOrderIndex(CacheOrder order)
    {
        Order = order;
        Set = order switch
        {
            CacheOrder.Ttl => new SortedSet<CacheEntry>(Comparer<CacheEntry>.Create(static (a, b) =>
            {
                var byExpiry = a.AbsoluteExpirationTicks.CompareTo(b.AbsoluteExpirationTicks);
                return byExpiry != 0 ? byExpiry : a.LinkSequence.CompareTo(b.LinkSequence);
            })),
            CacheOrder.Size => new SortedSet<CacheEntry>(Comparer<CacheEntry>.Create(static (a, b) =>
            {
                // Only measured entries are ever compared: the set files an entry once its size is known.
                var bySize = b.SizeBytes.CompareTo(a.SizeBytes);
                return bySize != 0 ? bySize : a.LinkSequence.CompareTo(b.LinkSequence);
            })),
            _ => throw new ArgumentOutOfRangeException(nameof(order), order, "Only the TTL and size orders are kept on demand."),
        };
    }

    /// <summary>The order kept.</summary>
    public CacheOrder Order { get; }

    /// <summary>The entries in order (only while <see cref="Active"/>).</summary>
    public SortedSet<CacheEntry> Set { get; }

    /// <summary>True while the order is kept: populates and removals update it.</summary>
    public bool Active { get; private set; }

    /// <summary>Bumped each time the order starts being kept, and at a clear: a build or a measuring of an earlier one files nothing.</summary>
    public int Generation { get; private set; }

    /// <summary>Whether entries must be measured before they are filed (the size order).</summary>
    public bool Measures => Order == CacheOrder.Size;

    /// <summary>How many entries wait to be measured.</summary>
    public int QueuedCount => _queued.Count;

    /// <summary>
    /// A listing asks for the order now: marks it used and, when it is not kept, starts keeping it and starts
    /// <paramref name="build"/> for the entries already held. Returns the task a listing waits for before it pages.
    /// </summary>
    public Task Use(long timestamp, Func<int, Task> build)
    {
        _lastUsed = timestamp;
        if (!Active)
        {
            Active = true;
            Generation++;
            _ready = build(Generation);
        }

        return _ready;
    }

    /// <summary>A page that shows this order is still open (it did not need to reload): keeps the order as if it were asked for.</summary>
    public void Touch(long timestamp)
    {
        if (Active)
        {
            _lastUsed = timestamp;
        }
    }

    /// <summary>Stops keeping the order when no listing asked for it in <see cref="IdleAfter"/>; true when it dropped it.</summary>
    public bool DropIfIdle(TimeProvider timeProvider)
    {
        if (!Active || timeProvider.GetElapsedTime(_lastUsed) < IdleAfter)
        {
            return false;
        }

        Active = false;
        Generation++;
        Set.Clear();
        _queued = [];
        return true;
    }

    /// <summary>A build of <paramref name="generation"/> failed: stops keeping the order, so the next listing starts it again.</summary>
    public void Abandon(int generation)
    {
        if (!Active || generation != Generation)
        {
            return;
        }

        Active = false;
        Generation++;
        Set.Clear();
        _queued = [];
    }

    /// <summary>A populate linked <paramref name="entry"/>: filed now, or queued to be measured first.</summary>
    public void Added(CacheEntry entry)
    {
        if (!Active)
        {
            return;
        }

        if (Measures && !entry.SizeMeasured)
        {
            _queued.Add(entry);
        }
        else
        {
            Set.Add(entry);
        }
    }

    /// <summary>An entry left the store. One still queued (unmeasured) is not in the set, and is skipped when filed.</summary>
    public void Removed(CacheEntry entry)
    {
        if (Active && (!Measures || entry.SizeMeasured))
        {
            Set.Remove(entry);
        }
    }

    /// <summary>
    /// The store was cleared: the order stays kept, empty, and a build or a measuring begun before files nothing (what
    /// it holds was dropped, though still linked until the store unchains it off the lock).
    /// </summary>
    public void Clear()
    {
        Generation++;
        Set.Clear();
        _queued = [];
    }

    /// <summary>Takes the entries waiting to be measured; the caller measures them off the lock, then files them.</summary>
    public List<CacheEntry> TakeQueued()
    {
        var queued = _queued;
        _queued = [];
        return queued;
    }

    /// <summary>
    /// Files entries measured off the lock that are still in the store, unless the order was dropped (or dropped and
    /// started again) since they were taken.
    /// </summary>
    public void File(IEnumerable<CacheEntry> measured, int generation)
    {
        if (!Active || generation != Generation)
        {
            return;
        }

        foreach (var entry in measured)
        {
            if (entry.Linked && (!Measures || entry.SizeMeasured))
            {
                Set.Add(entry);
            }
        }
    }
}
