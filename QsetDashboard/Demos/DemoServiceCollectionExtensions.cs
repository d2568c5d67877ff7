using QsetDashboard.Demos;

namespace Microsoft.Extensions.DependencyInjection;

/// <summary>Registers the demo scenarios.</summary>
public static class DemoServiceCollectionExtensions
{
    /// <summary>Adds the seed's three runs, the key-clash scenario, automatic invalidation, the outside writer, the database going down, QuerySets, the race lab and the catalog.</summary>
    public static IServiceCollection AddQsetDemos(this IServiceCollection services)
    {
        services.AddSingleton<DemoScenario, SimpleDemo>();
        services.AddSingleton<DemoScenario, GenericDemo>();
        services.AddSingleton<DemoScenario, CacheableDemo>();
        services.AddSingleton<DemoScenario, ClashDemo>();
        services.AddSingleton<DemoScenario, SignalsDemo>();
        services.AddSingleton<DemoScenario, OutsideWriterDemo>();
        services.AddSingleton<DemoScenario, DatabaseDownDemo>();
        services.AddSingleton<DemoScenario, QuerySetsDemo>();
        services.AddSingleton<DemoScenario, RaceLabDemo>();
        services.AddSingleton<DemoCatalog>();
        return services;
    }
}
