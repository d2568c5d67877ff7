using Qset.Caching;
using Qset.Dashboard.Model;
using QsetDashboard.Model;

namespace QsetDashboard.Demos;

/// <summary>What the store holds of a scenario's keys, found without listing the store.</summary>
public static class DemoKeys
{
    /// <summary>
    /// The scenario's held entries in key order: its named keys, each peeked (no recency mark, no event), or the page
    /// its <see cref="DemoScenario.KeyQuery"/> asks for.
    /// </summary>
    public static async Task<IReadOnlyList<CacheEntry>> HeldAsync(DemoScenario scenario, CacheView store, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(scenario);
        ArgumentNullException.ThrowIfNull(store);
        if (scenario.KeyQuery is { } query)
        {
            return (await store.PageAsync(query, cancellationToken).ConfigureAwait(false)).Entries;
        }

        List<CacheEntry> held = [];
        foreach (var key in scenario.Keys.Order(StringComparer.Ordinal))
        {
            if (await store.PeekAsync(key, cancellationToken).ConfigureAwait(false) is { } entry)
            {
                held.Add(entry);
            }
        }

        return held;
    }
}
