using Qset.Dashboard.Api;
using Qset.Caching;
using QsetDashboard.Demos;

namespace QsetDashboard.Api;

/// <summary><c>/api/demos</c>: the headless form of the seed's <c>curl http://127.0.0.1:8000/</c>.</summary>
internal static class DemoEndpoints
{
    public static void MapDemoEndpoints(this IEndpointRouteBuilder api)
    {
        var group = api.MapGroup("/demos").WithTags("Demos");

        group.MapGet("/", (DemoCatalog catalog) => catalog.All.Select(s => new
        {
            s.Name,
            s.Title,
            s.Description,
            Steps = s.Steps.Select(step => step.Title),
        }));

        group.MapPost("/{name}/run", async (string name, DemoCatalog catalog, CancellationToken ct) =>
        {
            if (catalog.Find(name) is not { } scenario)
            {
                return ApiProblems.NotFound($"No demo named '{name}'. Known: {string.Join(", ", catalog.All.Select(s => s.Name))}.");
            }

            var run = new DemoRun(scenario);
            var steps = await run.RunAllAsync(ct);
            return Results.Ok(new
            {
                scenario.Name,
                Steps = steps.Select(s => new
                {
                    s.Index,
                    s.Title,
                    Events = s.Events.Select(e => new { Kind = e.Label, e.Key, e.Detail }),
                    s.Result,
                }),
                run.Log,
            });
        });
    }
}
