using System.Collections.Concurrent;

namespace Qset.Caching.Feed;

/// <summary>
/// This node's own writes, as a feed will see them again: for each key (and each table written in bulk) that this node
/// invalidated after commit, the feed's head position read just before that invalidation. Every change at or before
/// that position was committed before the invalidation, which already made it harmless, so the feed skips it rather
/// than throw away the value read since (and count the write twice). Entries go once the feed has passed them.
/// </summary>
internal sealed class FeedEchoes
{
    private readonly ConcurrentDictionary<string, long> _keys = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, long> _tables = new(StringComparer.Ordinal);

    /// <summary>How many echoes wait for the feed.</summary>
    public int Count => _keys.Count + _tables.Count;

    /// <summary>Records that <paramref name="key"/> was invalidated after every change up to <paramref name="head"/> committed.</summary>
    public void RecordKey(string key, long head) => _keys.AddOrUpdate(key, head, (_, old) => Math.Max(old, head));

    /// <summary>Records that every by-id entry and query of <paramref name="entityName"/> was invalidated after <paramref name="head"/>.</summary>
    public void RecordTable(string entityName, long head) => _tables.AddOrUpdate(entityName, head, (_, old) => Math.Max(old, head));

    /// <summary>True when the change at <paramref name="position"/> to <paramref name="key"/> of <paramref name="entityName"/> was already applied here.</summary>
    public bool Covers(string entityName, string? key, long position) =>
        (_tables.TryGetValue(entityName, out var table) && position <= table)
        || (key is not null && _keys.TryGetValue(key, out var head) && position <= head);

    /// <summary>Forgets echoes the feed has read past <paramref name="position"/>: no later change is covered by them.</summary>
    public void Prune(long position)
    {
        if (Count == 0)
        {
            return;
        }

        foreach (var echo in _keys)
        {
            if (echo.Value <= position)
            {
                _keys.TryRemove(echo);
            }
        }

        foreach (var echo in _tables)
        {
            if (echo.Value <= position)
            {
                _tables.TryRemove(echo);
            }
        }
    }

    /// <summary>Forgets every echo: the feed starts over from a new position.</summary>
    public void Clear()
    {
        _keys.Clear();
        _tables.Clear();
    }
}
