using Qset.Caching;

namespace Qset.Dashboard.Api;

/// <summary>The dashboard's HTTP API, under its mount: <c>/api/cache/*</c>.</summary>
internal static class DashboardApi
{
    /// <summary>The event source of a change made through the API.</summary>
    public const string Source = "api";

    public static IEndpointRouteBuilder MapDashboardApi(this IEndpointRouteBuilder routes)
    {
        var api = routes.MapGroup("/api").ExcludeFromDescription().AddEndpointFilter(async (context, next) =>
        {
            using (CacheContext.Use(Source))
            {
                return await next(context);
            }
        });
        api.MapCacheEndpoints();
        api.MapLedgerEndpoints();
        return routes;
    }
}
