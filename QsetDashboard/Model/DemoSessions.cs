using System.Collections.Concurrent;
using QsetDashboard.Demos;

namespace QsetDashboard.Model;

/// <summary>
/// The demo walks of one dashboard session (a Blazor circuit), by scenario name, so that leaving a demo page
/// and coming back keeps its position. Each browser tab has its own walks.
/// </summary>
public sealed class DemoSessions
{
    private readonly ConcurrentDictionary<string, DemoRun> _runs = new(StringComparer.OrdinalIgnoreCase);

    /// <summary>This session's walk of <paramref name="scenario"/>, made on first use.</summary>
    public DemoRun For(DemoScenario scenario)
    {
        ArgumentNullException.ThrowIfNull(scenario);
        return _runs.GetOrAdd(scenario.Name, static (_, s) => new DemoRun(s), scenario);
    }
}
