using System.Text.Json;
using Microsoft.AspNetCore.Diagnostics.HealthChecks;
using Qset.Caching;
using QsetDashboard.Data;
using QsetDashboard.Security;

namespace QsetDashboard.Api;

/// <summary>Maps the HTTP API and the health endpoint.</summary>
internal static class ApiEndpoints
{
    public static IEndpointRouteBuilder MapQsetApi(this IEndpointRouteBuilder app)
    {
        // Open even behind the dashboard token, for load balancers and probes; beyond loopback it tells an
        // anonymous caller only the status (the checks name the node, its host and process).
        app.MapHealthChecks("/health", new HealthCheckOptions { ResponseWriter = WriteHealthAsync }).AllowAnonymous();

        var api = app.MapGroup("/api").AddEndpointFilter(async (context, next) =>
        {
            using (CacheContext.Use("api"))
            {
                return await next(context);
            }
        });
        api.MapDemoEndpoints();
        api.MapEntityEndpoints("/users", (id, name) => new User { Id = id, Name = name });
        api.MapEntityEndpoints("/teams", (id, name) => new Team { Id = id, Name = name });
        api.MapCacheEndpoints();
        api.MapLedgerEndpoints();
        return app;
    }

    private static Task WriteHealthAsync(HttpContext context, Microsoft.Extensions.Diagnostics.HealthChecks.HealthReport report)
    {
        context.Response.ContentType = "application/json";

        // Trust follows the bind and the token, not the caller's address: behind a reverse proxy on the same
        // machine every caller would look like loopback.
        var detailed = context.RequestServices.GetRequiredService<DashboardGate>().IsOpen || context.User.Identity?.IsAuthenticated == true;
        if (!detailed)
        {
            return JsonSerializer.SerializeAsync(context.Response.Body, new { status = report.Status.ToString() }, cancellationToken: context.RequestAborted);
        }

        return JsonSerializer.SerializeAsync(context.Response.Body, new
        {
            status = report.Status.ToString(),
            checks = report.Entries.ToDictionary(
                e => e.Key,
                e => new { status = e.Value.Status.ToString(), description = e.Value.Description }),
        }, cancellationToken: context.RequestAborted);
    }
}
