namespace Qset.Dashboard;

/// <summary>The names the dashboard registers in a host, for a host that refers to them.</summary>
public static class QsetDashboardDefaults
{
    /// <summary>
    /// The authorization policy the dashboard's endpoints get when the host chains no authorization of its own: open
    /// while the app listens on loopback only, else the dashboard's browser token (cookie or bearer).
    /// </summary>
    public const string Policy = "QsetDashboard";

    /// <summary>The dashboard's authentication scheme (a policy scheme over its cookie and bearer token); never the host's default.</summary>
    public const string AuthenticationScheme = "QsetDashboard";

    /// <summary>The event source a change made from the dashboard (by hand or through its API) is recorded with.</summary>
    public const string Source = "dashboard";
}
