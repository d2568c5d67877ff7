using System.Net;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.Extensions.Logging;

namespace QsetDashboard.Tests.Infrastructure;

/// <summary>
/// The real app on real Kestrel, on a free loopback port, over its own SQLite file. Settings are passed as
/// configuration, so the app starts exactly as it does from the command line.
/// </summary>
public sealed class AppHost : WebApplicationFactory<Program>
{
    private readonly TestDatabase _database = new();
    private readonly Dictionary<string, string?> _settings;
    private readonly ILoggerProvider? _logs;

    public AppHost(IDictionary<string, string?>? settings = null, bool loopbackOnly = true, ILoggerProvider? logs = null)
    {
        _logs = logs;
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

    /// <summary>The loopback address of the server, also when it listens on every address.</summary>
    public Uri LoopbackAddress => new($"http://127.0.0.1:{BaseAddress.Port}/");

    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        foreach (var (key, value) in _settings)
        {
            builder.UseSetting(key, value);
        }

        builder.UseEnvironment("Development");

        // The app's console transcript (a line per cache event) would bury a failing test's own output: the console
        // keeps warnings and errors; a test that reads the log has its own provider, which sees everything.
        builder.ConfigureLogging(logging => logging.AddFilter<Microsoft.Extensions.Logging.Console.ConsoleLoggerProvider>(level => level >= LogLevel.Warning));
        if (_logs is not null)
        {
            builder.ConfigureLogging(logging => logging.AddProvider(_logs));
        }
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
