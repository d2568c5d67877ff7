using System.Text.Json;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Diagnostics.HealthChecks;
using Qset.Caching;
using QsetDashboard.Data;
using Qset.Dashboard;
using Qset.Dashboard.Security;

namespace QsetDashboard.Api;

/// <summary>Maps the HTTP API and the health endpoint.</summary>
internal static class ApiEndpoints
{
    public static IEndpointRouteBuilder MapQsetApi(this IEndpointRouteBuilder app)
    {
        // Open even behind the dashboard token, for load balancers and probes; beyond loopback it tells an
        // anonymous caller only the status (the checks name the node, its host and process).
        app.MapHealthChecks("/health", new HealthCheckOptions { ResponseWriter = WriteHealthAsync }).AllowAnonymous();

        // The sample's API is the dashboard's to its users: the same gate guards it.
        var api = app.MapGroup("/api").RequireAuthorization(QsetDashboardDefaults.Policy).AddEndpointFilter(async (context, next) =>
        {
            using (CacheContext.Use("api"))
            {
                return await next(context);
            }
        });
        api.MapDemoEndpoints();
        api.MapEntityEndpoints("/users", (id, name) => new User { Id = id, Name = name });
        api.MapEntityEndpoints("/teams", (id, name) => new Team { Id = id, Name = name });
        return app;
    }

    private static async Task WriteHealthAsync(HttpContext context, Microsoft.Extensions.Diagnostics.HealthChecks.HealthReport report)
    {
        context.Response.ContentType = "application/json";

        // Trust follows the bind and the token, not the caller's address: behind a reverse proxy on the same
        // machine every caller would look like loopback.
        var detailed = context.RequestServices.GetRequiredService<DashboardGate>().IsOpen
            || (await context.AuthenticateAsync(QsetDashboardDefaults.AuthenticationScheme)).Succeeded;
        if (!detailed)
        {
            await JsonSerializer.SerializeAsync(context.Response.Body, new { status = report.Status.ToString() }, cancellationToken: context.RequestAborted);
            return;
        }

        await JsonSerializer.SerializeAsync(context.Response.Body, new
        {
            status = report.Status.ToString(),
            checks = report.Entries.ToDictionary(
                e => e.Key,
                e => new { status = e.Value.Status.ToString(), description = e.Value.Description }),
        }, cancellationToken: context.RequestAborted);
    }
}
