using Microsoft.AspNetCore.Components;
using Qset.Caching;
using Qset.Dashboard.Model;
using QsetDashboard.Model;

namespace QsetDashboard.Components.Pages;

/// <summary>The seed's "Compare the versions" table with each style's live keys.</summary>
public sealed partial class Compare
{
    private const int KeyLimit = 8;
    private const int SampleSize = 1_000;

    private IReadOnlyList<string>[] _liveKeys = [.. StyleComparison.Rows.Select(_ => (IReadOnlyList<string>)[])];

    [Inject] public required CacheView Cache { get; init; }

    /// <inheritdoc />
    protected override async Task RefreshAsync()
    {
        // A bounded sample in key order (each row shows a few keys), never a listing of the whole store.
        var entries = (await Cache.PageAsync(new CacheListQuery(SampleSize))).Entries;
        _liveKeys =
        [
            .. StyleComparison.Rows.Select(row => (IReadOnlyList<string>)
                [.. entries.Where(row.OwnsKey).Select(e => e.Key).Order(StringComparer.Ordinal)]),
        ];
    }
}
