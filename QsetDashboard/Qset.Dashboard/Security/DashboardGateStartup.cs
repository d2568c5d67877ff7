using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;

namespace Qset.Dashboard.Security;

/// <summary>Once the server listens, sets the gate from its bound addresses and prints the login URL when a token is needed.</summary>
internal sealed partial class DashboardGateStartup(
    IServer server,
    DashboardGate gate,
    IHostApplicationLifetime lifetime,
    ILogger<DashboardGateStartup> logger) : IHostedService
{
    public Task StartAsync(CancellationToken cancellationToken)
    {
        lifetime.ApplicationStarted.Register(OnStarted);
        return Task.CompletedTask;
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    private void OnStarted()
    {
        var addresses = server.Features.Get<IServerAddressesFeature>()?.Addresses.ToList() ?? [];
        if (addresses.Count == 0)
        {
            // An in-memory test server has no addresses and no network: nothing to guard.
            gate.Configure(["http://localhost"]);
            return;
        }

        if (gate.Configure(addresses))
        {
            LoopbackOnly(logger, string.Join(", ", addresses));
            return;
        }

        var first = addresses[0];
        var loginBase = first.Replace("://[::]", "://localhost", StringComparison.Ordinal)
            .Replace("://0.0.0.0", "://localhost", StringComparison.Ordinal)
            .Replace("://*", "://localhost", StringComparison.Ordinal)
            .Replace("://+", "://localhost", StringComparison.Ordinal)
            .TrimEnd('/');
        LoginRequired(logger, string.Join(", ", addresses), $"{loginBase}{gate.MountPath}{DashboardSecurityExtensions.LoginPath}?t={gate.Token}",
            gate.IsTokenConfigured ? "configured in Dashboard:Token" : "made at startup");
    }

    [LoggerMessage(EventId = 40, Level = LogLevel.Information,
        Message = "The dashboard listens on loopback only ({Addresses}); no token is required")]
    private static partial void LoopbackOnly(ILogger logger, string addresses);

    [LoggerMessage(EventId = 41, Level = LogLevel.Warning,
        Message = "The dashboard listens on a non-loopback address ({Addresses}) and requires its token ({TokenSource}). Login to the dashboard at {LoginUrl}")]
    private static partial void LoginRequired(ILogger logger, string addresses, string loginUrl, string tokenSource);
}
