using Microsoft.AspNetCore.Components;
using QsetDashboard.Caching;
using QsetDashboard.Model;

namespace QsetDashboard.Components.Pages;

/// <summary>The seed's "Compare the versions" table with each style's live keys.</summary>
public sealed partial class Compare
{
    private const int KeyLimit = 8;

    private IReadOnlyList<string>[] _liveKeys = [.. StyleComparison.Rows.Select(_ => (IReadOnlyList<string>)[])];

    [Inject] public required QsetCache Cache { get; init; }

    /// <inheritdoc />
    protected override async Task RefreshAsync()
    {
        var entries = await Cache.Store.ListAsync();
        _liveKeys =
        [
            .. StyleComparison.Rows.Select(row => (IReadOnlyList<string>)
                [.. entries.Where(row.OwnsKey).Select(e => e.Key).Order(StringComparer.Ordinal)]),
        ];
    }
}
