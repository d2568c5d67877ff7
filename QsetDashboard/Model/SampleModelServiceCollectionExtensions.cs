using Microsoft.Extensions.DependencyInjection.Extensions;
using QsetDashboard.Model;

namespace Microsoft.Extensions.DependencyInjection;

/// <summary>Registers what the sample's pages use besides the engine and the dashboard.</summary>
public static class SampleModelServiceCollectionExtensions
{
    /// <summary>Adds the per-session demo walks and the playground.</summary>
    public static IServiceCollection AddQsetSampleModel(this IServiceCollection services)
    {
        services.TryAddScoped<DemoSessions>();
        services.TryAddSingleton<PlaygroundOperations>();
        return services;
    }
}
