using System.Text.Json.Nodes;
using Qset.Caching;
using Qset.Dashboard.Model;

namespace Qset.Dashboard.Api;

/// <summary><c>/api/cache</c>: what the cache holds, what it did, its counters, and a flush.</summary>
internal static class CacheEndpoints
{
    public const int MaxEventPage = 10_000;

    private const int MaxFilterLength = 200;

    public static void MapCacheEndpoints(this IEndpointRouteBuilder api)
    {
        var group = api.MapGroup("/cache").WithTags("Cache");

        group.MapGet("/entries", async (string? limit, string? cursor, string? q, string? type, string? order, CacheView cache, HttpContext http, CancellationToken ct) =>
        {
            if (!ApiPaging.TryParseLimit(limit, out var size, out var problem) || !ApiPaging.TryDecodeCursor(cursor, out var storeCursor, out problem))
            {
                return problem!;
            }

            if (q?.Length > MaxFilterLength || type?.Length > MaxFilterLength)
            {
                return ApiProblems.BadRequest(q?.Length > MaxFilterLength ? "q" : "type", $"At most {MaxFilterLength} characters.");
            }

            var sort = CacheOrder.Key;
            if (!string.IsNullOrEmpty(order) && (!order.All(char.IsAsciiLetter) || !Enum.TryParse(order, ignoreCase: true, out sort) || !cache.Orders.Contains(sort)))
            {
                return ApiProblems.BadRequest(
                    "order", $"'order' must be one of {string.Join(", ", cache.Orders.Select(o => $"'{o.ToString().ToLowerInvariant()}'"))} on the {cache.Backend} store.");
            }

            CachePage page;
            try
            {
                page = await cache.PageAsync(
                    new CacheListQuery(size, storeCursor, string.IsNullOrEmpty(q) ? null : q, string.IsNullOrEmpty(type) ? null : type, sort), ct);
            }
            catch (NotSupportedException ex)
            {
                return ApiProblems.BadRequest("order", ex.Message);
            }
            catch (ArgumentException)
            {
                return ApiPaging.BadCursor();
            }

            ApiPaging.AddNextPage(http, page.NextCursor, size, ("q", q), ("type", type), ("order", order));

            return Results.Ok(page.Entries.Select(e => new CacheEntryDto(
                e.Key, e.EntityType, JsonNode.Parse(e.Json), e.SizeBytes, e.CreatedAt, e.ExpiresAt(cache.TimeProvider))));
        });

        group.MapDelete("/entries/{key}", async (string key, CacheView cache, CancellationToken ct) =>
            await cache.InvalidateAsync(key, CacheContext.Source, ct) ? Results.NoContent() : ApiProblems.NotFound($"The cache holds no key '{key}'."));

        group.MapGet("/events", (string? after, string? limit, EventJournal journal) =>
        {
            if (!ApiProblems.TryParseQuery(after, "after", 0, 0, long.MaxValue, out var afterValue, out var problem)
                || !ApiProblems.TryParseQuery(limit, "limit", 100, 1, MaxEventPage, out var limitValue, out problem))
            {
                return problem!;
            }

            return Results.Ok(journal.ReadAfter(afterValue, (int)limitValue).Select(CacheEventDto.From));
        });

        group.MapGet("/stats", (CacheView cache, CancellationToken ct) => cache.StatsAsync(ct));

        group.MapGet("/nodes", (CacheView cache, CancellationToken ct) => cache.NodesAsync(ct));

        group.MapGet("/entries/{key}/nodes", (string key, CacheView cache, CancellationToken ct) => cache.HoldersAsync(key, ct));

        group.MapPost("/flush", async (CacheView cache, CancellationToken ct) =>
        {
            await cache.FlushAsync(CacheContext.Source, ct);
            return Results.NoContent();
        });
    }
}

/// <summary>A cache entry as the API shows it.</summary>
internal sealed record CacheEntryDto(string Key, string Type, JsonNode? Value, int SizeBytes, DateTimeOffset CreatedAt, DateTimeOffset ExpiresAt);

/// <summary>A cache event as the API shows it.</summary>
internal sealed record CacheEventDto(
    long Sequence, DateTimeOffset Timestamp, string Kind, string Key, string? EntityType, string Source, double DurationMs, string? Detail, long Count)
{
    public static CacheEventDto From(CacheEvent e) =>
        new(e.Sequence, e.Timestamp, e.Kind.Label(), e.Key, e.EntityType, e.Source, e.Duration.TotalMilliseconds, e.Detail, e.Count);
}
