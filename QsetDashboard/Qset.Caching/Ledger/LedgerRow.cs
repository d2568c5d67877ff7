namespace Qset.Caching.Ledger;

/// <summary>What caching one entity type's by-id keys, or one cached query, saved and cost.</summary>
/// <param name="Kind"><c>entity</c> or <c>query</c>.</param>
/// <param name="Name">The entity type (<c>User</c>) or the query key (<c>Query.User.ab12…</c>).</param>
/// <param name="Tables">The tables (entity types) the row's values depend on.</param>
/// <param name="Hits">Reads the cache answered.</param>
/// <param name="Misses">Reads that went to the database.</param>
/// <param name="HitRatio">Hits over reads, 0 before any read.</param>
/// <param name="Populates">Values stored after a miss.</param>
/// <param name="Invalidations">Cached values thrown away because their data changed (an INVALIDATE of a key that held nothing is not counted).</param>
/// <param name="AverageDbReadMs">The measured average database read, in milliseconds.</param>
/// <param name="DbTimeSavedMs">Hits × the average database read, in milliseconds.</param>
/// <param name="ChurnPerPopulate">Invalidations per populate: near 1 means each cached value is thrown away once.</param>
/// <param name="InvalidationsPerMinute">Invalidations per minute since the row's first event (a window of at least a minute).</param>
/// <param name="Flagged">True when writes make caching this cost more than it saves (see <see cref="SavingsLedger.FlagRule"/>).</param>
/// <param name="FlagReason">Why it is flagged, in numbers; null when it is not.</param>
public sealed record LedgerRow(
    string Kind,
    string Name,
    IReadOnlyList<string> Tables,
    long Hits,
    long Misses,
    double HitRatio,
    long Populates,
    long Invalidations,
    double AverageDbReadMs,
    double DbTimeSavedMs,
    double ChurnPerPopulate,
    double InvalidationsPerMinute,
    bool Flagged,
    string? FlagReason);

/// <summary>The ledger at one moment: a row per entity type and per cached query, and the rule that flags a table.</summary>
public sealed record LedgerSnapshot(
    DateTimeOffset At,
    long LastSequence,
    IReadOnlyList<LedgerRow> Entities,
    IReadOnlyList<LedgerRow> Queries,
    string FlagRule)
{
    /// <summary>Database time saved by every row together, in milliseconds.</summary>
    public double TotalDbTimeSavedMs => Entities.Sum(r => r.DbTimeSavedMs) + Queries.Sum(r => r.DbTimeSavedMs);
}
