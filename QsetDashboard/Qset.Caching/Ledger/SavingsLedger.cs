using Qset.Caching.Queries;

namespace Qset.Caching.Ledger;

/// <summary>
/// Keeps the books of what the cache saves: per entity type and per cached query, hits, misses, populates,
/// invalidations and measured database read time. Fed from the event journal (a subscription, plus a catch-up on
/// every snapshot), so the cache's hit path does no extra work for it.
/// </summary>
internal sealed class SavingsLedger : IDisposable
{
    /// <summary>The fewest invalidations a table needs before it can be flagged, so that one write on a quiet table is not.</summary>
    public const int MinInvalidationsToFlag = 5;

    /// <summary>The most query rows kept; later queries are added up in one <c>(other queries)</c> row.</summary>
    public const int MaxQueryRows = 1_000;

    /// <summary>The rule that flags a table, as the API and the dashboard state it.</summary>
    public static readonly string FlagRule =
        $"A table is flagged when its cached values (by-id and query results together) were thrown away by invalidations at least as often as " +
        $"they were served from the cache (invalidations ≥ hits), with at least {MinInvalidationsToFlag} invalidations: " +
        "each write then throws away a value before it saved a read, so every saved read costs more than a miss, a populate and an invalidation.";

    private const string OtherQueries = "(other queries)";

    private readonly EventJournal _journal;
    private readonly TimeProvider _timeProvider;
    private readonly Lock _gate = new();
    private readonly Dictionary<string, Tally> _entities = new(StringComparer.Ordinal);
    private readonly Dictionary<string, Tally> _queries = new(StringComparer.Ordinal);
    private readonly IDisposable _subscription;
    private long _applied;

    /// <summary>Starts the books with the events the journal still holds, then follows it.</summary>
    public SavingsLedger(EventJournal journal, TimeProvider timeProvider)
    {
        ArgumentNullException.ThrowIfNull(journal);
        _journal = journal;
        _timeProvider = timeProvider;
        lock (_gate)
        {
            // Subscribed first, under the lock: the first batch waits, and events already applied are skipped by sequence.
            _subscription = journal.Subscribe(Apply);
            ApplyLocked(journal.ReadAfter(0));
        }
    }

    /// <summary>Adds <paramref name="events"/> to the books; events already counted (by sequence) are skipped.</summary>
    public void Apply(IReadOnlyList<CacheEvent> events)
    {
        ArgumentNullException.ThrowIfNull(events);
        lock (_gate)
        {
            ApplyLocked(events);
        }
    }

    /// <summary>The books now, caught up with the journal.</summary>
    public LedgerSnapshot Snapshot()
    {
        lock (_gate)
        {
            ApplyLocked(_journal.ReadAfter(_applied));
            var now = _timeProvider.GetUtcNow();
            var queryRows = _queries.Select(q => Row("query", q.Key, q.Value, q.Value, now)).ToList();
            var entityRows = _entities
                .Select(e => Row("entity", e.Key, e.Value, TableTotal(e.Key, e.Value), now))
                .OrderBy(r => r.Name, StringComparer.Ordinal)
                .ToList();
            return new LedgerSnapshot(
                now,
                _applied,
                entityRows,
                [.. queryRows.OrderByDescending(r => r.DbTimeSavedMs).ThenBy(r => r.Name, StringComparer.Ordinal)],
                FlagRule);
        }
    }

    /// <inheritdoc />
    public void Dispose() => _subscription.Dispose();

    private void ApplyLocked(IReadOnlyList<CacheEvent> events)
    {
        for (var i = 0; i < events.Count; i++)
        {
            var e = events[i];
            if (e.Sequence <= _applied)
            {
                continue;
            }

            _applied = e.Sequence;
            if ((e.Key == CacheRecorder.SummaryKey && e.EntityType is null or QueryKeys.EntityType) || IsFlushOrClear(e))
            {
                // A flush or an L1 clear, one event for many (it names no table) or one per key: not a write to a
                // table, so no table's churn. One event for many that names its type (a bulk write of the table) counts
                // below, as many as it removed.
                continue;
            }

            if (TallyFor(e) is { } tally)
            {
                tally.Add(e);
            }
        }
    }

    private static bool IsFlushOrClear(in CacheEvent e) =>
        e.Kind == CacheEventKind.Invalidate
        && (e.Detail == CacheRecorder.FlushDetail || e.Detail?.StartsWith(CacheRecorder.L1ClearDetail, StringComparison.Ordinal) == true);

    private Tally? TallyFor(in CacheEvent e)
    {
        if (e.Kind is not (CacheEventKind.Hit or CacheEventKind.Miss or CacheEventKind.Populate or CacheEventKind.Invalidate
                or CacheEventKind.Reject)
            || e.EntityType is null)
        {
            return null;
        }

        if (e.EntityType == QueryKeys.EntityType)
        {
            if (!_queries.TryGetValue(e.Key, out var query))
            {
                var name = _queries.Count < MaxQueryRows ? e.Key : OtherQueries;
                if (!_queries.TryGetValue(name, out query))
                {
                    query = new Tally(e.Timestamp, QueryKeys.TablesOf(e.Key));
                    _queries[name] = query;
                }
            }

            return query;
        }

        if (!_entities.TryGetValue(e.EntityType, out var entity))
        {
            entity = new Tally(e.Timestamp, [e.EntityType]);
            _entities[e.EntityType] = entity;
        }

        return entity;
    }

    private Tally TableTotal(string table, Tally byId)
    {
        var total = byId.Copy();
        foreach (var query in _queries.Values)
        {
            if (query.Tables.Contains(table, StringComparer.Ordinal))
            {
                total.AddCounts(query);
            }
        }

        return total;
    }

    private static LedgerRow Row(string kind, string name, Tally own, Tally judged, DateTimeOffset now)
    {
        var reads = own.Hits + own.Misses;
        var averageRead = own.DbReads == 0 ? 0 : own.DbReadTime.TotalMilliseconds / own.DbReads;
        var minutes = Math.Max(1, (now - own.FirstSeen).TotalMinutes);
        var flagged = judged.Invalidations >= MinInvalidationsToFlag && judged.Invalidations >= judged.Hits;
        return new LedgerRow(
            kind,
            name,
            own.Tables,
            own.Hits,
            own.Misses,
            reads == 0 ? 0 : (double)own.Hits / reads,
            own.Populates,
            own.Invalidations,
            averageRead,
            own.Hits * averageRead,
            own.Populates == 0 ? own.Invalidations : (double)own.Invalidations / own.Populates,
            own.Invalidations / minutes,
            flagged,
            flagged ? $"{judged.Invalidations} invalidations ≥ {judged.Hits} hits" : null);
    }

    private sealed class Tally(DateTimeOffset firstSeen, IReadOnlyList<string> tables)
    {
        public DateTimeOffset FirstSeen { get; } = firstSeen;

        public IReadOnlyList<string> Tables { get; } = tables;

        public long Hits { get; private set; }

        public long Misses { get; private set; }

        public long Populates { get; private set; }

        public long Invalidations { get; private set; }

        public long DbReads { get; private set; }

        public TimeSpan DbReadTime { get; private set; }

        public void Add(in CacheEvent e)
        {
            switch (e.Kind)
            {
                case CacheEventKind.Hit:
                    Hits++;
                    break;
                case CacheEventKind.Miss:
                    Misses++;
                    break;
                case CacheEventKind.Invalidate:
                    // Only an invalidation that threw values away is churn, as many as the store says it removed: the
                    // every write records an INVALIDATE, cached or not, and those cost the cache nothing.
                    Invalidations += e.Count;
                    break;
                case CacheEventKind.Populate:
                    Populates++;
                    CountRead(e.Duration);
                    break;
                case CacheEventKind.Reject:
                    CountRead(e.Duration);
                    break;
            }
        }

        public Tally Copy()
        {
            var copy = new Tally(FirstSeen, Tables);
            copy.AddCounts(this);
            return copy;
        }

        public void AddCounts(Tally other)
        {
            Hits += other.Hits;
            Misses += other.Misses;
            Populates += other.Populates;
            Invalidations += other.Invalidations;
            DbReads += other.DbReads;
            DbReadTime += other.DbReadTime;
        }

        // A populate's and a reject's duration is the database read that preceded it.
        private void CountRead(TimeSpan duration)
        {
            DbReads++;
            DbReadTime += duration;
        }
    }
}
