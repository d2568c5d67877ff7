namespace QsetDashboard.Demos;

/// <summary>Every registered scenario, by name; pages and the API list and find them here, so a new scenario needs no page change.</summary>
public sealed class DemoCatalog(IEnumerable<DemoScenario> scenarios)
{
    private readonly DemoScenario[] _scenarios = [.. scenarios];

    /// <summary>The scenarios, in registration order.</summary>
    public IReadOnlyList<DemoScenario> All => _scenarios;

    /// <summary>The scenario called <paramref name="name"/> (case-insensitive), or null.</summary>
    public DemoScenario? Find(string? name) =>
        _scenarios.FirstOrDefault(s => string.Equals(s.Name, name, StringComparison.OrdinalIgnoreCase));
}
