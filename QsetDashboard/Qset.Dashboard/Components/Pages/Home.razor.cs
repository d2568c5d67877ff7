using System.Globalization;
using Microsoft.AspNetCore.Components;
using Qset.Caching;
using Qset.Dashboard.Model;

namespace Qset.Dashboard.Components.Pages;

/// <summary>The overview: the store, the counters, a minute of hits and misses, the latest events.</summary>
public sealed partial class Home
{
    private const int LatestLimit = 12;

    private static readonly CultureInfo Culture = CultureInfo.InvariantCulture;

    private CacheStats _stats = null!;
    private IReadOnlyList<HitMissBucket> _buckets = [];
    private IReadOnlyList<CacheEvent> _latest = [];
    private JournalWindow? _reads;

    [Inject] public required CacheView Cache { get; init; }

    /// <inheritdoc />
    protected override TimeSpan? TickInterval => TimeSpan.FromSeconds(1);

    private static string NodeName => Environment.MachineName;

    private string FeedState => _stats.Feed.State.ToString().ToLowerInvariant();

    // Lag and last change once the feed applied one; the count of changes it applied.
    private string FeedFigures => _stats.Feed switch
    {
        { LagMs: { } lag, LastChangeAt: { } last } feed =>
            $" · lag {lag.ToString("N0", Culture)} ms · last change {last.ToUniversalTime().ToString("HH:mm:ss", Culture)} UTC · {feed.Changes.ToString("N0", Culture)} changes",
        { State: DatabaseFeedState.Live } => " · no change yet",
        _ => string.Empty,
    };

    private double Fill => _stats.Capacity == 0 ? 0 : (double)_stats.Entries / _stats.Capacity;

    private IEnumerable<(CacheEventKind Kind, long Count)> KindTotals =>
    [
        (CacheEventKind.Hit, _stats.Hits),
        (CacheEventKind.Miss, _stats.Misses),
        (CacheEventKind.Populate, _stats.Populates),
        (CacheEventKind.Invalidate, _stats.Invalidations),
        (CacheEventKind.Evict, _stats.Evictions),
        (CacheEventKind.Expire, _stats.Expirations),
        (CacheEventKind.Clash, _stats.Clashes),
        (CacheEventKind.Reject, _stats.Rejects),
        (CacheEventKind.Error, _stats.Errors),
        (CacheEventKind.Stale, _stats.Stale),
        (CacheEventKind.Refresh, _stats.Refreshes),
    ];

    /// <inheritdoc />
    protected override async Task RefreshAsync()
    {
        _stats = await Cache.StatsAsync();
        _reads ??= new JournalWindow(Journal, Journal.Capacity, e => e.Kind is CacheEventKind.Hit or CacheEventKind.Miss);
        _reads.Update();
        _buckets = HitMissSeries.Build(_reads.NewestFirst, TimeProvider.GetUtcNow());
        _latest = Journal.Latest(LatestLimit);
    }
}
