using Microsoft.AspNetCore.Authorization;
using Microsoft.Extensions.Options;
using Qset.Caching;
using Qset.Dashboard;
using Qset.Dashboard.Api;
using Qset.Dashboard.Components;
using Qset.Dashboard.Model;
using Qset.Dashboard.Security;

// In the routing namespace, as MapRazorComponents and MapHangfireDashboard are.
namespace Microsoft.AspNetCore.Builder;

/// <summary>Mounts the Qset dashboard in a host.</summary>
public static class QsetDashboardEndpointRouteBuilderExtensions
{
    /// <summary>
    /// Mounts the dashboard under <paramref name="prefix"/> (<c>/qset</c>, or <c>/</c> for the root): its pages, its assets,
    /// its Blazor circuit, <c>{prefix}/api/cache/*</c> and <c>{prefix}/login</c>. It runs in a pipeline of its own behind
    /// one catch-all endpoint of the host, so the host's routes, its own Blazor app, schemes and policies are untouched.
    /// </summary>
    /// <returns>
    /// The catch-all endpoint's builder: <c>.RequireAuthorization("policy")</c>, <c>.RequireHost(...)</c> or rate limiting
    /// chained on it guard the whole dashboard. With no authorization chained, the dashboard answers while the app
    /// listens on loopback only, or beyond it to the browser token (<see cref="QsetDashboardDefaults.Policy"/>).
    /// </returns>
    /// <remarks>
    /// A host that is not a Blazor app of its own must set <c>&lt;RequiresAspNetWebAssets&gt;true&lt;/RequiresAspNetWebAssets&gt;</c>
    /// in its project file, so that the build ships <c>_framework/blazor.web.js</c>.
    /// </remarks>
    public static IEndpointConventionBuilder MapQsetDashboard(this IEndpointRouteBuilder endpoints, string prefix = "/qset")
    {
        ArgumentNullException.ThrowIfNull(endpoints);
        ArgumentNullException.ThrowIfNull(prefix);
        // IOptions<> resolves for any type once anyone added options: the read model is what AddQsetDashboard registers.
        if (endpoints.ServiceProvider.GetService<CacheView>() is null || endpoints.ServiceProvider.GetService<QsetCache>() is null)
        {
            throw new InvalidOperationException("MapQsetDashboard needs builder.Services.AddQsetCache(...) and builder.Services.AddQsetDashboard().");
        }

        var trimmed = prefix.Trim('/');
        var mount = trimmed.Length == 0 ? PathString.Empty : new PathString("/" + trimmed);
        endpoints.ServiceProvider.GetRequiredService<DashboardGate>().MountPath = mount.Value ?? "";

        // Built now, at startup, on one thread: the host's conventions apply to the catch-all, which guards all of it.
        var pipeline = BuildPipeline(endpoints, mount);
        var dashboard = endpoints.Map($"{mount}/{{**qsetPath}}", pipeline)
            .WithDisplayName("Qset dashboard")
            .ExcludeFromDescription();
        dashboard.Finally(DefaultToTheGate);

        // The login is anonymous by nature; a literal route wins over the catch-all.
        endpoints.MapGet($"{mount}{DashboardSecurityExtensions.LoginPath}", (string? t, HttpContext context, DashboardGate gate) =>
        {
            context.Request.PathBase = context.Request.PathBase.Add(mount);
            return DashboardSecurityExtensions.LoginAsync(t, context, gate);
        }).AllowAnonymous().ExcludeFromDescription();
        return dashboard;
    }

    /// <summary>
    /// Adds the dashboard's request guards to the host's own pipeline, for a host that wants its endpoints guarded as the
    /// dashboard's are: on a loopback bind, a Host header that is not a loopback name gets 400 (DNS rebinding); a write or
    /// WebSocket handshake sent by a page of another origin gets 403. The dashboard's own pipeline always has them.
    /// </summary>
    public static IApplicationBuilder UseQsetDashboardGuards(this IApplicationBuilder app)
    {
        ArgumentNullException.ThrowIfNull(app);
        app.UseMiddleware<LoopbackHostFilter>();
        app.UseMiddleware<CrossSiteWriteGuard>();
        return app;
    }

    /// <summary>
    /// A host whose build shipped no <c>_framework/blazor.web.js</c> would render pages that never connect: say so, with
    /// the fix, at start. The Qset.Dashboard package sets the property for its host; a project reference does not.
    /// </summary>
    private static void WarnWithoutTheBlazorScript(IEndpointRouteBuilder endpoints)
    {
        var shipped = endpoints.DataSources
            .SelectMany(source => source.Endpoints)
            .OfType<RouteEndpoint>()
            .Any(endpoint => endpoint.RoutePattern.RawText?.Contains("_framework/blazor.web", StringComparison.Ordinal) == true);
        if (!shipped)
        {
            var logger = endpoints.ServiceProvider.GetRequiredService<ILoggerFactory>().CreateLogger("Qset.Dashboard");
            DashboardLog.BlazorScriptMissing(logger);
        }
    }

    private static void DefaultToTheGate(EndpointBuilder endpoint)
    {
        if (!endpoint.Metadata.Any(m => m is IAuthorizeData or IAllowAnonymous))
        {
            endpoint.Metadata.Add(new AuthorizeAttribute(QsetDashboardDefaults.Policy));
        }
    }

    private static RequestDelegate BuildPipeline(IEndpointRouteBuilder endpoints, PathString mount)
    {
        var app = endpoints.CreateApplicationBuilder();
        if (mount.HasValue)
        {
            app.UsePathBase(mount);
        }

        app.Use((context, next) =>
        {
            if (mount.HasValue && !context.Request.Path.HasValue)
            {
                // "/qset" → "/qset/": the base address every relative link, asset and the circuit resolve against.
                context.Response.Redirect($"{context.Request.PathBase}/{context.Request.QueryString}");
                return Task.CompletedTask;
            }

            // The host matched its catch-all; the dashboard's own routing matches again, from a clean slate.
            context.SetEndpoint(null);
            context.Request.RouteValues.Clear();
            return next(context);
        });
        app.UseQsetDashboardGuards();
        app.UseRouting();
        app.UseAntiforgery();

        // The host matches with its own route table, so these routes never clash with its pages. UseEndpoints does list
        // them in the app-wide EndpointDataSource (which link generation and OpenAPI read): the API is kept out of
        // descriptions, and pages and assets are never described.
        app.UseEndpoints(inner =>
        {
            inner.MapStaticAssets();
            WarnWithoutTheBlazorScript(inner);
            var options = inner.ServiceProvider.GetRequiredService<IOptions<QsetDashboardOptions>>().Value;
            inner.MapRazorComponents<DashboardApp>()
                .AddInteractiveServerRenderMode()
                .AddAdditionalAssemblies([.. options.AdditionalAssemblies]);
            inner.MapDashboardApi();
        });

        return app.Build();
    }
}

internal static partial class DashboardLog
{
    [LoggerMessage(EventId = 40, Level = LogLevel.Error,
        Message = "The Qset dashboard's pages will not connect: this app's build ships no _framework/blazor.web.js. Add <RequiresAspNetWebAssets>true</RequiresAspNetWebAssets> to the host's project file (the Qset.Dashboard package sets it; a project reference does not).")]
    public static partial void BlazorScriptMissing(ILogger logger);
}
