using System.Net;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;

namespace QsetDashboard.Tests.Infrastructure;

/// <summary>
/// The real app on real Kestrel, on a free loopback port, over its own SQLite file. Settings are passed as
/// configuration, so the app starts exactly as it does from the command line.
/// </summary>
public sealed class AppHost : WebApplicationFactory<Program>
{
    private readonly TestDatabase _database = new();
    private readonly Dictionary<string, string?> _settings;

    public AppHost(IDictionary<string, string?>? settings = null, bool loopbackOnly = true)
    {
        _settings = new Dictionary<string, string?>(settings ?? new Dictionary<string, string?>());
        _settings.TryAdd("ConnectionStrings:Qsets", _database.ConnectionString);
        UseKestrel(options =>
        {
            if (loopbackOnly)
            {
                options.Listen(IPAddress.Loopback, 0);
            }
            else
            {
                options.ListenAnyIP(0);
            }
        });
        StartServer();
    }

    /// <summary>The address the browser and HTTP clients use.</summary>
    public Uri BaseAddress => ClientOptions.BaseAddress;

    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        foreach (var (key, value) in _settings)
        {
            builder.UseSetting(key, value);
        }

        builder.UseEnvironment("Development");
    }

    protected override void Dispose(bool disposing)
    {
        base.Dispose(disposing);
        if (disposing)
        {
            _database.Dispose();
        }
    }
}
