using System.Diagnostics.CodeAnalysis;

namespace Qset.Caching;

/// <summary>
/// The memory store's index of live entries by key: open addressing with linear probing over one array of entry
/// references, so an entry costs its slot (8 bytes at a load of one half to three quarters: 11–21 bytes) where a
/// <see cref="System.Collections.Concurrent.ConcurrentDictionary{TKey, TValue}"/> spends a 48-byte node and a bucket.
/// Reads take no lock and write nothing. Writes happen only under the store's write lock (checked): a write stores one
/// reference with release semantics, a removal leaves a marker that readers step over, and a rebuild (when entries and
/// markers pass three quarters of the slots, or markers outnumber entries and fill a quarter) fills a new array at most
/// half full and publishes it whole, so a reader on the old one still finds every entry that was there when it started. Keys are hashed with the process's randomized string hash,
/// so keys chosen to collide cannot make a chain long.
/// </summary>
internal sealed class EntryTable
{
    private const int MinimumLength = 16;

    // What a removed entry leaves in its slot, so that the entries probed past it are still found.
    private static readonly CacheEntry Removed = CacheEntry.Probe(DateTimeOffset.MinValue, 0, 0);

    private readonly Lock _writeLock;
    private CacheEntry?[] _slots = new CacheEntry?[MinimumLength];
    private int _count;
    private int _removed;

    /// <summary>Creates an empty table whose writers hold <paramref name="writeLock"/>.</summary>
    public EntryTable(Lock writeLock) => _writeLock = writeLock;

    /// <summary>How many entries the table holds.</summary>
    public int Count => Volatile.Read(ref _count);

    /// <summary>How many times the table was rebuilt: its growth and tombstone sweeps, read to check how often.</summary>
    internal int Rebuilds { get; private set; }

    /// <summary>How many slots the table has now: with <see cref="Count"/>, its load.</summary>
    internal int Length => Volatile.Read(ref _slots).Length;

    /// <summary>
    /// The entries held, in no order: those held when the walk began, and maybe some added during it. A key removed
    /// and stored again while the walk runs may be met twice (its new entry can land in a slot the walk has not reached).
    /// </summary>
    public IEnumerable<CacheEntry> Values => Held(Volatile.Read(ref _slots));

    private static IEnumerable<CacheEntry> Held(CacheEntry?[] slots)
    {
        for (var i = 0; i < slots.Length; i++)
        {
            if (Volatile.Read(ref slots[i]) is { } held && !ReferenceEquals(held, Removed))
            {
                yield return held;
            }
        }
    }

    /// <summary>The entry held under <paramref name="key"/>. Lock-free; writes nothing.</summary>
    public bool TryGetValue(string key, [NotNullWhen(true)] out CacheEntry? entry)
    {
        Locate(Volatile.Read(ref _slots), key, out entry);
        return entry is not null;
    }

    /// <summary>Under the write lock: holds <paramref name="entry"/> under its key; returns the entry it replaced, if any.</summary>
    public CacheEntry? Set(CacheEntry entry)
    {
        ArgumentNullException.ThrowIfNull(entry);
        EnsureWriter();
        var slots = _slots;
        var mask = slots.Length - 1;
        var free = -1;
        var i = Hash(entry.Key) & mask;
        for (; ; i = (i + 1) & mask)
        {
            var held = slots[i];
            if (held is null)
            {
                break;
            }

            if (ReferenceEquals(held, Removed))
            {
                free = free < 0 ? i : free;
            }
            else if (string.Equals(held.Key, entry.Key, StringComparison.Ordinal))
            {
                Volatile.Write(ref slots[i], entry);
                return held;
            }
        }

        if (free >= 0)
        {
            Volatile.Write(ref slots[free], entry);
            _removed--;
        }
        else
        {
            Volatile.Write(ref slots[i], entry);
        }

        Volatile.Write(ref _count, _count + 1);
        if ((long)(_count + _removed) * 4 > (long)slots.Length * 3)
        {
            Rebuild();
        }

        return null;
    }

    /// <summary>Under the write lock: removes the entry held under <paramref name="key"/>.</summary>
    public bool TryRemove(string key, [NotNullWhen(true)] out CacheEntry? removed)
    {
        EnsureWriter();
        var at = Locate(_slots, key, out removed);
        if (removed is null)
        {
            return false;
        }

        Vacate(at);
        return true;
    }

    /// <summary>Under the write lock: removes <paramref name="entry"/> if it is still the one held under its key.</summary>
    public bool TryRemove(CacheEntry entry)
    {
        ArgumentNullException.ThrowIfNull(entry);
        EnsureWriter();
        var at = Locate(_slots, entry.Key, out var held);
        if (at < 0 || !ReferenceEquals(held, entry))
        {
            return false;
        }

        Vacate(at);
        return true;
    }

    /// <summary>
    /// Under the write lock: removes every entry at once (an empty array is published), and returns how many there were
    /// and the entries, read as they are walked from the array let go (which no writer touches again): nothing is
    /// copied, a million entries or ten.
    /// </summary>
    public (IEnumerable<CacheEntry> Entries, int Count) Clear()
    {
        EnsureWriter();
        var held = _slots;
        var count = _count;
        Volatile.Write(ref _slots, new CacheEntry?[MinimumLength]);
        Volatile.Write(ref _count, 0);
        _removed = 0;
        return (Held(held), count);
    }

    private static int Hash(string key) => key.GetHashCode(StringComparison.Ordinal) & int.MaxValue;

    // Where key sits in slots (-1 when absent, and the entry null), with the entry as read there: a reader must not read the slot again,
    // a writer may have marked it removed since. A published array always has empty slots (at most three quarters are
    // used), so the probe ends.
    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveInlining)]
    private static int Locate(CacheEntry?[] slots, string key, out CacheEntry? entry)
    {
        var mask = slots.Length - 1;
        for (var i = Hash(key) & mask; ; i = (i + 1) & mask)
        {
            var held = Volatile.Read(ref slots[i]);
            if (held is null)
            {
                entry = null;
                return -1;
            }

            if (!ReferenceEquals(held, Removed) && string.Equals(held.Key, key, StringComparison.Ordinal))
            {
                entry = held;
                return i;
            }
        }
    }

    private void Vacate(int at)
    {
        Volatile.Write(ref _slots[at], Removed);
        Volatile.Write(ref _count, _count - 1);
        _removed++;

        // Mass removals (a flush of a type, a bulk write) leave long runs of markers that every miss would walk: once
        // markers outnumber entries and fill a quarter of the slots, the table is rebuilt to its size (amortized O(1):
        // a quarter of the slots were removed since the last rebuild).
        if (_removed > _count && (long)_removed * 4 > _slots.Length)
        {
            Rebuild();
        }
    }

    // A new array at most half full, without markers, published whole. The old one is left as it was, so a reader
    // still walking it finds what it held.
    private void Rebuild()
    {
        var length = MinimumLength;
        while (length < 2L * _count)
        {
            length = checked(length * 2);
        }

        var fresh = new CacheEntry?[length];
        var mask = length - 1;
        foreach (var held in _slots)
        {
            if (held is null || ReferenceEquals(held, Removed))
            {
                continue;
            }

            var i = Hash(held.Key) & mask;
            while (fresh[i] is not null)
            {
                i = (i + 1) & mask;
            }

            fresh[i] = held;
        }

        Volatile.Write(ref _slots, fresh);
        _removed = 0;
        Rebuilds++;
    }

    private void EnsureWriter()
    {
        if (!_writeLock.IsHeldByCurrentThread)
        {
            throw new InvalidOperationException("The entry table is written only under the store's write lock.");
        }
    }
}
