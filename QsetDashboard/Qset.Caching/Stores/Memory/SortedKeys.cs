using System.Collections;

namespace Qset.Caching;

/// <summary>
/// A set of keys kept in ordinal order, in chunks of at most <see cref="ChunkCapacity"/> references: about 11 bytes
/// a key, where a <see cref="SortedSet{T}"/> spends a 48-byte tree node on each. Finding a key is two binary searches
/// (over the chunks' last keys, then inside one chunk); adding or removing one moves at most a chunk's references,
/// and a chunk is split, merged or topped up from its neighbour only about once per <see cref="MinimumFill"/> changes.
/// Every chunk but the last holds at least <see cref="MinimumFill"/> keys; keys that only grow fill their chunks.
/// Not thread-safe: the memory store uses it under its write lock.
/// </summary>
internal sealed class SortedKeys : IEnumerable<string>
{
    /// <summary>The most keys one chunk holds.</summary>
    internal const int ChunkCapacity = 128;

    /// <summary>The fewest keys a chunk holds, unless it is the only one.</summary>
    internal const int MinimumFill = ChunkCapacity / 4;

    private readonly List<Chunk> _chunks = [];
    private int _version;

    /// <summary>How many keys the set holds.</summary>
    public int Count { get; private set; }

    /// <summary>How many keys each chunk holds, in order: what <see cref="MinimumFill"/> bounds.</summary>
    internal IReadOnlyList<int> ChunkFills => [.. _chunks.Select(c => c.Count)];

    /// <summary>Adds <paramref name="key"/>; false when it is there already.</summary>
    public bool Add(string key)
    {
        ArgumentNullException.ThrowIfNull(key);
        if (_chunks.Count == 0)
        {
            var first = new Chunk();
            first.Insert(0, key);
            _chunks.Add(first);
            Count = 1;
            _version++;
            return true;
        }

        // The first chunk whose last key is not below the key, or the last chunk when the key is past them all.
        var c = ChunkFor(key);
        if (c == _chunks.Count)
        {
            c--;
        }

        var chunk = _chunks[c];
        var at = chunk.Find(key);
        if (at >= 0)
        {
            return false;
        }

        at = ~at;
        if (chunk.Count == ChunkCapacity && at == ChunkCapacity)
        {
            // Past the last key of the last chunk (keys that grow, like ids): a new chunk, so the full one stays full.
            chunk = new Chunk();
            _chunks.Add(chunk);
            at = 0;
        }
        else if (chunk.Count == ChunkCapacity)
        {
            // Split in halves and insert into the half the key falls in.
            var upper = chunk.SplitUpperHalf();
            _chunks.Insert(c + 1, upper);
            if (at > chunk.Count)
            {
                chunk = upper;
                at -= ChunkCapacity / 2;
            }
        }

        chunk.Insert(at, key);
        Count++;
        _version++;
        return true;
    }

    /// <summary>Removes <paramref name="key"/>; false when it was not there.</summary>
    public bool Remove(string key)
    {
        ArgumentNullException.ThrowIfNull(key);
        var c = ChunkFor(key);
        if (c == _chunks.Count)
        {
            return false;
        }

        var chunk = _chunks[c];
        var at = chunk.Find(key);
        if (at < 0)
        {
            return false;
        }

        chunk.RemoveAt(at);
        Count--;
        _version++;
        if (chunk.Count < MinimumFill)
        {
            Refill(c);
        }

        return true;
    }

    /// <summary>Removes every key.</summary>
    public void Clear()
    {
        _chunks.Clear();
        Count = 0;
        _version++;
    }

    /// <summary>The keys after <paramref name="after"/> (every key when null), in ordinal order; O(log n) to start.</summary>
    public IEnumerable<string> After(string? after)
    {
        var version = _version;
        var (c, i) = (0, 0);
        if (after is not null)
        {
            c = ChunkFor(after);
            if (c < _chunks.Count)
            {
                i = _chunks[c].Find(after);
                i = i >= 0 ? i + 1 : ~i;
            }
        }

        for (; c < _chunks.Count; c++, i = 0)
        {
            var chunk = _chunks[c];
            for (; i < chunk.Count; i++)
            {
                yield return chunk.Keys[i];
                if (version != _version)
                {
                    throw new InvalidOperationException("The keys changed while they were enumerated.");
                }
            }
        }
    }

    /// <inheritdoc />
    public IEnumerator<string> GetEnumerator() => After(null).GetEnumerator();

    IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();

    // Binary search over the chunks' last keys: the first chunk whose last key is at or after the key.
    private int ChunkFor(string key)
    {
        var (low, high) = (0, _chunks.Count - 1);
        while (low <= high)
        {
            var middle = low + ((high - low) >> 1);
            if (string.CompareOrdinal(_chunks[middle].Last, key) < 0)
            {
                low = middle + 1;
            }
            else
            {
                high = middle - 1;
            }
        }

        return low;
    }

    // A chunk fell below the minimum: merged with a neighbour when both fit in one chunk, else topped up from it.
    private void Refill(int c)
    {
        var chunk = _chunks[c];
        if (_chunks.Count == 1)
        {
            if (chunk.Count == 0)
            {
                _chunks.Clear();
            }

            return;
        }

        var (left, right) = c + 1 < _chunks.Count ? (c, c + 1) : (c - 1, c);
        var (first, second) = (_chunks[left], _chunks[right]);
        if (first.Count + second.Count <= ChunkCapacity)
        {
            first.Append(second);
            _chunks.RemoveAt(right);
        }
        else
        {
            Chunk.Balance(first, second);
        }
    }

    private sealed class Chunk
    {
        public string[] Keys = new string[ChunkCapacity];
        public int Count;

        public string Last => Keys[Count - 1];

        public int Find(string key) => Array.BinarySearch(Keys, 0, Count, key, StringComparer.Ordinal);

        public void Insert(int at, string key)
        {
            Array.Copy(Keys, at, Keys, at + 1, Count - at);
            Keys[at] = key;
            Count++;
        }

        public void RemoveAt(int at)
        {
            Count--;
            Array.Copy(Keys, at + 1, Keys, at, Count - at);
            Keys[Count] = null!;
        }

        public Chunk SplitUpperHalf()
        {
            var upper = new Chunk();
            const int Half = ChunkCapacity / 2;
            Array.Copy(Keys, Half, upper.Keys, 0, Count - Half);
            upper.Count = Count - Half;
            Array.Clear(Keys, Half, Count - Half);
            Count = Half;
            return upper;
        }

        public void Append(Chunk next)
        {
            Array.Copy(next.Keys, 0, Keys, Count, next.Count);
            Count += next.Count;
        }

        // Evens out two neighbours (the first's keys all below the second's), keeping their order.
        public static void Balance(Chunk first, Chunk second)
        {
            var total = first.Count + second.Count;
            var firstShare = total / 2;
            if (first.Count < firstShare)
            {
                var moved = firstShare - first.Count;
                Array.Copy(second.Keys, 0, first.Keys, first.Count, moved);
                Array.Copy(second.Keys, moved, second.Keys, 0, second.Count - moved);
                Array.Clear(second.Keys, second.Count - moved, moved);
            }
            else
            {
                var moved = first.Count - firstShare;
                Array.Copy(second.Keys, 0, second.Keys, moved, second.Count);
                Array.Copy(first.Keys, firstShare, second.Keys, 0, moved);
                Array.Clear(first.Keys, firstShare, moved);
            }

            first.Count = firstShare;
            second.Count = total - firstShare;
        }
    }
}
