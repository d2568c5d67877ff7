namespace Qset.Caching;

/// <summary>
/// The populate guard's bookkeeping for one process: a logical clock that ticks on every invalidation, and the
/// tick of each key's latest invalidation. A populate whose ticket is older than its key's latest invalidation
/// carries a value read before the write, and is refused (the lease idea of "Scaling Memcache at Facebook").
/// </summary>
/// <remarks>
/// Memory stays bounded: past <c>maxKeys</c> the oldest stamps are forgotten and folded into a floor that stands
/// for every forgotten key. A forgotten key is then judged by the floor, which can only refuse more, never less.
/// Not thread-safe: the memory store calls it under its write lock, so a check and the store it allows are atomic.
/// </remarks>
internal sealed class InvalidationStamps(int maxKeys)
{
    private Dictionary<string, long> _stamps = new(StringComparer.Ordinal);
    private Queue<(string Key, long Stamp)> _order = new();

    // The latest invalidation of every key of an entity type at once (a bulk write), one stamp per type: a handful.
    private Dictionary<string, long> _types = new(StringComparer.Ordinal);
    private long _clock;
    private long _floor;

    public long Now => _clock;

    public int TrackedKeys => _stamps.Count;

    public long Stamp(string key)
    {
        var stamp = ++_clock;
        _stamps[key] = stamp;
        _order.Enqueue((key, stamp));
        while (_stamps.Count > maxKeys || _order.Count > 2 * maxKeys)
        {
            var (oldKey, oldStamp) = _order.Dequeue();
            if (_stamps.TryGetValue(oldKey, out var current) && current == oldStamp)
            {
                _stamps.Remove(oldKey);
                _floor = Math.Max(_floor, oldStamp);
            }
        }

        return stamp;
    }

    /// <summary>Invalidates every key at once (a flush): every populate that began before now is refused, even of keys never seen.</summary>
    public long StampAll()
    {
        // New collections rather than cleared ones: O(1) whatever they held, and their arrays go back to the GC.
        _floor = ++_clock;
        _stamps = new(StringComparer.Ordinal);
        _order = new();
        _types = new(StringComparer.Ordinal);
        return _floor;
    }

    /// <summary>
    /// Invalidates every key of <paramref name="entityType"/> at once (a bulk write of its table): every populate of
    /// one that began before now is refused, held or not, in one stamp rather than one per key.
    /// </summary>
    public long StampType(string entityType)
    {
        var stamp = ++_clock;
        _types[entityType] = stamp;
        return stamp;
    }

    /// <summary>The stamp of <paramref name="key"/>'s latest invalidation, as far as it is still known.</summary>
    public long LastInvalidation(string key) => _stamps.TryGetValue(key, out var stamp) ? stamp : _floor;

    /// <summary>
    /// The later of <paramref name="key"/>'s latest invalidation and the latest invalidation of every key of
    /// <paramref name="entityType"/>.
    /// </summary>
    public long LastInvalidation(string key, string entityType) =>
        _types.TryGetValue(entityType, out var type) ? Math.Max(type, LastInvalidation(key)) : LastInvalidation(key);
}
