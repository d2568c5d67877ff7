using System.Collections.Concurrent;

namespace Qset.Caching;

/// <summary>Which of a table's two counters a cached value depends on.</summary>
public enum TableVersionKind
{
    /// <summary>Bumped by every committed write: query results depend on it.</summary>
    AnyWrite,

    /// <summary>
    /// Bumped only by writes that cannot name their rows (ExecuteUpdate, ExecuteDelete, raw SQL): by-id entries
    /// depend on it, because a precise write already invalidated their own key.
    /// </summary>
    BulkWrite,
}

/// <summary>A table (named by the entity type it holds, as keys are: <c>User</c>) that a cached value depends on.</summary>
public readonly record struct TableDependency(string Table, TableVersionKind Kind);

/// <summary>The version a dependency had when the value's database read began.</summary>
internal readonly record struct TableStamp(string Table, TableVersionKind Kind, long Version)
{
    /// <summary>The table's counter, held so that checking a hit costs a read, not a dictionary lookup.</summary>
    internal TableCounter? Counter { get; init; }
}

/// <summary>
/// Per-table version counters: logical integers bumped on each committed write, never clock times, so that
/// several nodes sharing one store need no clock sync (a distributed store keeps them with <c>INCR</c>). A cached
/// value carries the versions its read began at; when one moved on, the value is stale whatever its TTL says.
/// </summary>
internal sealed class TableVersions
{
    private readonly System.Runtime.CompilerServices.ConditionalWeakTable<IReadOnlyList<TableDependency>, TableStamp[]> _lastCaptured = [];
    private readonly ConcurrentDictionary<string, TableCounter> _tables = new(StringComparer.Ordinal);

    /// <summary>The current version of <paramref name="table"/>'s counter of <paramref name="kind"/>; 0 before any write.</summary>
    public long Current(string table, TableVersionKind kind) =>
        _tables.TryGetValue(table, out var counter) ? counter.Read(kind) : 0;

    /// <summary>Records a committed write whose rows are known (their by-id keys are invalidated one by one).</summary>
    public long BumpWrite(string table) => Bump(table, bulk: false);

    /// <summary>Records a committed write whose rows are not known: by-id entries of the table become stale too.</summary>
    public long BumpBulkWrite(string table) => Bump(table, bulk: true);

    /// <summary>Moves a table's version because another node committed a write to it.</summary>
    public void ApplyRemote(string table, bool bulk) => Of(table).Bump(bulk);

    private long Bump(string table, bool bulk) => Of(table).Bump(bulk);

    /// <summary>The versions of <paramref name="dependencies"/> now, taken before a database read.</summary>
    public TableStamp[] Capture(IReadOnlyList<TableDependency> dependencies)
    {
        ArgumentNullException.ThrowIfNull(dependencies);

        // Entries read while their tables stand still share one array of stamps (they are immutable): a million users
        // cached between two writes hold one array, not a million.
        if (_lastCaptured.TryGetValue(dependencies, out var last) && last.Length == dependencies.Count && IsCurrent(last, out _))
        {
            return last;
        }

        var stamps = new TableStamp[dependencies.Count];
        for (var i = 0; i < stamps.Length; i++)
        {
            var dependency = dependencies[i];
            var counter = Of(dependency.Table);
            stamps[i] = new TableStamp(dependency.Table, dependency.Kind, counter.Read(dependency.Kind)) { Counter = counter };
        }

        _lastCaptured.AddOrUpdate(dependencies, stamps);
        return stamps;
    }

    /// <summary>
    /// The hit path's <see cref="IsCurrent(IReadOnlyList{TableStamp}, out TableStamp)"/>: an array of stamps that
    /// mostly hold their counters, read in place.
    /// </summary>
    public bool IsCurrent(TableStamp[] stamps, out TableStamp stale)
    {
        foreach (ref readonly var stamp in stamps.AsSpan())
        {
            if ((stamp.Counter is { } counter ? counter.Read(stamp.Kind) : Current(stamp.Table, stamp.Kind)) != stamp.Version)
            {
                stale = stamp;
                return false;
            }
        }

        stale = default;
        return true;
    }

    /// <summary>True when no stamp's table moved on; otherwise <paramref name="stale"/> is the first that did. Allocation-free.</summary>
    public bool IsCurrent(IReadOnlyList<TableStamp> stamps, out TableStamp stale)
    {
        ArgumentNullException.ThrowIfNull(stamps);
        if (stamps is TableStamp[] array)
        {
            return IsCurrent(array, out stale);
        }

        for (var i = 0; i < stamps.Count; i++)
        {
            var stamp = stamps[i];
            if (Current(stamp.Table, stamp.Kind) != stamp.Version)
            {
                stale = stamp;
                return false;
            }
        }

        stale = default;
        return true;
    }

    /// <summary>Every table written so far with its two counters, by name.</summary>
    public IReadOnlyList<(string Table, long Writes, long BulkWrites)> Snapshot() =>
        [.. _tables.OrderBy(t => t.Key, StringComparer.Ordinal).Select(t => (t.Key, t.Value.Read(TableVersionKind.AnyWrite), t.Value.Read(TableVersionKind.BulkWrite)))];

    private TableCounter Of(string table)
    {
        ArgumentException.ThrowIfNullOrEmpty(table);
        return _tables.GetOrAdd(table, static _ => new TableCounter());
    }
}

/// <summary>One table's two counters.</summary>
internal sealed class TableCounter
{
    private long _writes;
    private long _bulkWrites;

    public long Read(TableVersionKind kind) =>
        kind == TableVersionKind.BulkWrite ? Volatile.Read(ref _bulkWrites) : Volatile.Read(ref _writes);

    public long Bump(bool bulk)
    {
        // Bulk first: a reader that sees the new write version must also see the new bulk version.
        if (bulk)
        {
            Interlocked.Increment(ref _bulkWrites);
        }

        return Interlocked.Increment(ref _writes);
    }
}
