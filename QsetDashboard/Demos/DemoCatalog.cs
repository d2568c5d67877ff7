namespace QsetDashboard.Demos;

/// <summary>Every registered scenario, by name; pages and the API list and find them here, so a new scenario needs no page change.</summary>
public sealed class DemoCatalog
{
    private readonly DemoScenario[] _scenarios;

    /// <summary>Lists <paramref name="scenarios"/> and gives them one run gate: they write the same rows (<see cref="DemoIds"/>).</summary>
    public DemoCatalog(IEnumerable<DemoScenario> scenarios)
    {
        _scenarios = [.. scenarios];
        var gate = new SemaphoreSlim(1, 1);
        foreach (var scenario in _scenarios)
        {
            scenario.RunGate = gate;
        }
    }

    /// <summary>The scenarios, in registration order.</summary>
    public IReadOnlyList<DemoScenario> All => _scenarios;

    /// <summary>The scenario called <paramref name="name"/> (case-insensitive), or null.</summary>
    public DemoScenario? Find(string? name) =>
        _scenarios.FirstOrDefault(s => string.Equals(s.Name, name, StringComparison.OrdinalIgnoreCase));
}
