using System.Reflection;

namespace Qset.Dashboard;

/// <summary>How the dashboard is shown in a host; set with <c>AddQsetDashboard(o => ...)</c>.</summary>
public sealed class QsetDashboardOptions
{
    /// <summary>The title in the app bar and the browser tab.</summary>
    public string Title { get; set; } = "Qset Dashboard";

    /// <summary>Assemblies whose routable components join the dashboard's router, for a host's own pages shown inside it.</summary>
    public IList<Assembly> AdditionalAssemblies { get; } = [];

    /// <summary>A component rendered in the navigation menu after the dashboard's own links: a host's links to its pages.</summary>
    public Type? NavigationExtension { get; set; }
}
