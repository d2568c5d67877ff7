using Microsoft.Extensions.Options;

namespace Qset.Dashboard.Security;

/// <summary>The dashboard's access settings, bound from the <c>Dashboard</c> configuration section.</summary>
public sealed class DashboardSecurityOptions
{
    /// <summary>The configuration section these options bind to.</summary>
    public const string SectionName = "Dashboard";

    /// <summary>The shortest token accepted from configuration.</summary>
    public const int MinTokenLength = 16;

    /// <summary>
    /// The browser token required when the app listens on a non-loopback address. When unset, a random one is
    /// made at startup and printed once in a login URL in the log.
    /// </summary>
    public string? Token { get; set; }
}

/// <summary>Rejects a configured token too short to guess-proof the dashboard.</summary>
internal sealed class DashboardSecurityOptionsValidator : IValidateOptions<DashboardSecurityOptions>
{
    /// <inheritdoc />
    public ValidateOptionsResult Validate(string? name, DashboardSecurityOptions options) =>
        options.Token is { } token && token.Trim().Length < DashboardSecurityOptions.MinTokenLength
            ? ValidateOptionsResult.Fail($"Dashboard:Token must be at least {DashboardSecurityOptions.MinTokenLength} characters (or unset, for a random one).")
            : ValidateOptionsResult.Success;
}
