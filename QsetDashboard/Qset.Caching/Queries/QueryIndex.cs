using System.Collections.Concurrent;

namespace Qset.Caching.Queries;

/// <summary>
/// Which cached query keys read which table, so that a committed write invalidates its table's query results
/// at once (an INVALIDATE per key, visible on the dashboard). Only an accelerator: a key it forgets, or that
/// another node cached, is still caught on read by the table versions it was stamped with.
/// </summary>
internal sealed class QueryIndex
{
    /// <summary>The most keys remembered per table; past it new keys rely on the version check alone.</summary>
    public const int MaxKeysPerTable = 10_000;

    private readonly ConcurrentDictionary<string, ConcurrentDictionary<string, byte>> _keysByTable = new(StringComparer.Ordinal);

    /// <summary>Remembers that <paramref name="key"/> reads <paramref name="tables"/>.</summary>
    public void Track(string key, IReadOnlyList<TableDependency> tables)
    {
        ArgumentNullException.ThrowIfNull(tables);
        for (var i = 0; i < tables.Count; i++)
        {
            var keys = _keysByTable.GetOrAdd(tables[i].Table, static _ => new ConcurrentDictionary<string, byte>(StringComparer.Ordinal));
            if (keys.Count < MaxKeysPerTable)
            {
                keys.TryAdd(key, 0);
            }
        }
    }

    /// <summary>Forgets and returns the keys that read <paramref name="table"/>.</summary>
    public IReadOnlyList<string> Take(string table)
    {
        if (!_keysByTable.TryGetValue(table, out var keys))
        {
            return [];
        }

        List<string> taken = [];
        foreach (var key in keys.Keys)
        {
            if (keys.TryRemove(key, out _))
            {
                taken.Add(key);

                // The key names its other tables: forget it there too, so their next write does not invalidate it again.
                foreach (var other in QueryKeys.TablesOf(key))
                {
                    if (other != table && _keysByTable.TryGetValue(other, out var otherKeys))
                    {
                        otherKeys.TryRemove(key, out _);
                    }
                }
            }
        }

        return taken;
    }

    /// <summary>How many keys are remembered for <paramref name="table"/>.</summary>
    public int CountFor(string table) => _keysByTable.TryGetValue(table, out var keys) ? keys.Count : 0;
}
