namespace Qset.Caching;

/// <summary>
/// The memory store's eviction order: SIEVE (Zhang et al., "SIEVE is Simpler than LRU", NSDI '24). Entries sit in
/// one list in insertion order; a hit only sets the entry's visited bit; to make room, a hand walks from the oldest
/// entry towards the newest, clearing visited bits, and evicts the first entry it finds unvisited. Every operation
/// is O(1), eviction amortized (each step of the hand clears a bit a hit set), and on skewed (Zipf) workloads its hit
/// ratio matches or beats LRU's, which moves an entry on every hit and so must lock on every hit.
/// </summary>
/// <remarks>Not thread-safe: the store calls it under its write lock. Hits never call it.</remarks>
internal sealed class SieveOrder
{
    private CacheEntry? _newest;
    private CacheEntry? _oldest;
    private CacheEntry? _hand;
    private CacheEntry? _scanHand;

    /// <summary>The most recently added entry.</summary>
    public CacheEntry? Newest => _newest;

    /// <summary>The longest-held entry.</summary>
    public CacheEntry? Oldest => _oldest;

    /// <summary>
    /// Where the store's expiry scan goes on from (towards the newest); when that entry leaves, the next newer one.
    /// </summary>
    public CacheEntry? ScanHand
    {
        get => _scanHand;
        set => _scanHand = value;
    }

    /// <summary>How many entries are in the order.</summary>
    public int Count { get; private set; }

    /// <summary>Adds <paramref name="entry"/> as the newest, unvisited.</summary>
    public void Add(CacheEntry entry)
    {
        entry.Visited = false;
        entry.Newer = null;
        entry.Older = _newest;
        if (_newest is not null)
        {
            _newest.Newer = entry;
        }

        _newest = entry;
        _oldest ??= entry;
        entry.Linked = true;
        Count++;
    }

    /// <summary>Takes <paramref name="entry"/> out of the order; nothing when it is not in it.</summary>
    public void Remove(CacheEntry entry)
    {
        if (!entry.Linked)
        {
            return;
        }

        if (ReferenceEquals(_hand, entry))
        {
            _hand = entry.Newer;
        }

        if (ReferenceEquals(_scanHand, entry))
        {
            _scanHand = entry.Newer;
        }

        if (entry.Newer is { } newer)
        {
            newer.Older = entry.Older;
        }
        else
        {
            _newest = entry.Older;
        }

        if (entry.Older is { } older)
        {
            older.Newer = entry.Newer;
        }
        else
        {
            _oldest = entry.Newer;
        }

        entry.Newer = null;
        entry.Older = null;
        entry.Linked = false;
        Count--;
    }

    /// <summary>
    /// The entry to evict: the first unvisited one from the hand towards the newest (wrapping to the oldest), clearing
    /// the visited bits it passes. Readers may set bits again meanwhile; after two laps the hand takes what it holds.
    /// </summary>
    public CacheEntry? ChooseVictim()
    {
        var node = _hand ?? _oldest;
        for (var steps = 2 * Count; node is not null && node.Visited && steps > 0; steps--)
        {
            node.Visited = false;
            node = node.Newer ?? _oldest;
        }

        _hand = node;
        return node;
    }

    /// <summary>
    /// Empties the order in O(1): returns the oldest entry of what it held, still chained, for
    /// <see cref="Release"/> to unchain off the lock.
    /// </summary>
    public CacheEntry? Detach()
    {
        var oldest = _oldest;
        _newest = _oldest = _hand = _scanHand = null;
        Count = 0;
        return oldest;
    }

    /// <summary>
    /// Unchains what <see cref="Detach"/> returned, so that an entry someone still holds (a page on screen) does not
    /// keep every other one alive through its links. Needs no lock: no one else reaches a detached entry's links.
    /// </summary>
    public static void Release(CacheEntry? oldest)
    {
        for (var node = oldest; node is not null;)
        {
            var next = node.Newer;
            node.Newer = null;
            node.Older = null;
            node.Linked = false;
            node = next;
        }
    }
}
