using System.Net;
using System.Security.Claims;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using QsetDashboard.Tests.Infrastructure;

namespace QsetDashboard.Tests.Foreign;

/// <summary>
/// A web app that is not ours, on real Kestrel: a <see cref="ShopDb"/>, its own cookie scheme as the default, its own
/// anonymous endpoint, optionally its own Blazor app, and the dashboard added in the README's lines under <c>/qset</c>.
/// </summary>
public sealed class ForeignWebHost : IAsyncDisposable
{
    public const string HostScheme = "Host";
    public const string HostPolicy = "HostAdmins";
    public const string Greeting = "hello from the host";

    private readonly TestDatabase _database;
    private readonly WebApplication _app;

    private ForeignWebHost(TestDatabase database, WebApplication app)
    {
        _database = database;
        _app = app;
        var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        LoopbackAddress = new Uri($"http://127.0.0.1:{new Uri(address.Replace("0.0.0.0", "127.0.0.1", StringComparison.Ordinal).Replace("[::]", "127.0.0.1", StringComparison.Ordinal)).Port}/");
    }

    /// <summary>Where tests call the host: loopback, also when it listens on every address.</summary>
    public Uri LoopbackAddress { get; }

    public IServiceProvider Services => _app.Services;

    public static async Task<ForeignWebHost> StartAsync(
        bool loopbackOnly = true,
        Action<IEndpointConventionBuilder>? chain = null,
        bool blazorHost = false,
        string? token = null)
    {
        var database = new TestDatabase();
        var builder = WebApplication.CreateBuilder(new WebApplicationOptions
        {
            ApplicationName = typeof(ForeignWebHost).Assembly.GetName().Name,
            EnvironmentName = Environments.Development,
            ContentRootPath = AppContext.BaseDirectory,
        });
        builder.WebHost.UseKestrel(k =>
        {
            if (loopbackOnly)
            {
                k.Listen(IPAddress.Loopback, 0);
            }
            else
            {
                k.ListenAnyIP(0);
            }
        });
        builder.Logging.SetMinimumLevel(LogLevel.Warning);
        if (token is not null)
        {
            builder.Configuration["Dashboard:Token"] = token;
        }

        // The README's lines.
        builder.Services.AddDbContextFactory<ShopDb>((sp, o) => o.UseSqlite(database.ConnectionString).UseQsetCache(sp));
        builder.Services.AddQsetCache(builder.Configuration.GetSection("Qset"));
        builder.Services.AddQsetDashboard();
        builder.Services.AddHealthChecks().AddQsetCache();

        // The host's own: a cookie scheme that is its default, and a policy of its own.
        builder.Services.AddAuthentication(HostScheme).AddCookie(HostScheme);
        builder.Services.AddAuthorizationBuilder().AddPolicy(HostPolicy, p => p.AddAuthenticationSchemes(HostScheme).RequireAuthenticatedUser());
        if (blazorHost)
        {
            builder.Services.AddRazorComponents().AddInteractiveServerComponents();
        }

        var app = builder.Build();
        app.MapGet("/hello", () => Greeting);
        app.MapGet("/signin", async (HttpContext context) =>
        {
            await context.SignInAsync(HostScheme, new ClaimsPrincipal(new ClaimsIdentity([new Claim(ClaimTypes.Name, "host-admin")], HostScheme)));
            return "signed in";
        });
        if (blazorHost)
        {
            app.UseAntiforgery();
            app.MapStaticAssets();
            app.MapRazorComponents<ForeignApp>().AddInteractiveServerRenderMode();
        }

        var dashboard = app.MapQsetDashboard("/qset");
        chain?.Invoke(dashboard);
        try
        {
            await using (var db = await app.Services.GetRequiredService<IDbContextFactory<ShopDb>>().CreateDbContextAsync())
            {
                await db.Database.EnsureCreatedAsync();
            }

            await app.StartAsync();
        }
        catch
        {
            await app.DisposeAsync();
            database.Dispose();
            throw;
        }

        return new ForeignWebHost(database, app);
    }

    public HttpClient Client(bool followRedirects = false) =>
        new(new HttpClientHandler { AllowAutoRedirect = followRedirects, UseCookies = false }) { BaseAddress = LoopbackAddress };

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
        _database.Dispose();
    }
}
