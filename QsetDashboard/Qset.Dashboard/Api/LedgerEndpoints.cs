using Qset.Caching.Ledger;

namespace Qset.Dashboard.Api;

/// <summary><c>/api/cache/ledger</c>: what caching saved and cost, per entity type and per cached query.</summary>
internal static class LedgerEndpoints
{
    public static void MapLedgerEndpoints(this IEndpointRouteBuilder api)
    {
        api.MapGet("/cache/ledger", (string? kind, SavingsLedger ledger) =>
        {
            var snapshot = ledger.Snapshot();
            return kind?.ToUpperInvariant() switch
            {
                null or "" => Results.Ok(snapshot),
                "ENTITY" => Results.Ok(snapshot with { Queries = [] }),
                "QUERY" => Results.Ok(snapshot with { Entities = [] }),
                _ => ApiProblems.BadRequest("kind", "'kind' must be 'entity' or 'query', or left out for both."),
            };
        }).WithTags("Cache");
    }
}
