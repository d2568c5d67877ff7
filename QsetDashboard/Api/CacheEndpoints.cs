using System.Text.Json.Nodes;
using QsetDashboard.Caching;

namespace QsetDashboard.Api;

/// <summary><c>/api/cache</c>: what the cache holds, what it did, its counters, and a flush.</summary>
internal static class CacheEndpoints
{
    public const int MaxEventPage = 10_000;

    public static void MapCacheEndpoints(this IEndpointRouteBuilder api)
    {
        var group = api.MapGroup("/cache").WithTags("Cache");

        group.MapGet("/entries", async (QsetCache cache, CancellationToken ct) =>
        {
            var entries = await cache.Store.ListAsync(ct);
            return entries.Select(e => new CacheEntryDto(
                e.Key, e.EntityType, JsonNode.Parse(e.Json), e.SizeBytes, e.CreatedAt, e.ExpiresAt(cache.TimeProvider)));
        });

        group.MapDelete("/entries/{key}", async (string key, QsetCache cache, CancellationToken ct) =>
        {
            var entry = await cache.Store.ListAsync(ct);
            var held = entry.FirstOrDefault(e => e.Key == key);
            if (held is null)
            {
                return ApiProblems.NotFound($"The cache holds no key '{key}'.");
            }

            await cache.InvalidateAsync(key, held.EntityType, "invalidated by hand", ct);
            return Results.NoContent();
        });

        group.MapGet("/events", (string? after, string? limit, EventJournal journal) =>
        {
            if (!ApiProblems.TryParseQuery(after, "after", 0, 0, long.MaxValue, out var afterValue, out var problem)
                || !ApiProblems.TryParseQuery(limit, "limit", 100, 1, MaxEventPage, out var limitValue, out problem))
            {
                return problem!;
            }

            return Results.Ok(journal.ReadAfter(afterValue, (int)limitValue).Select(CacheEventDto.From));
        });

        group.MapGet("/stats", (QsetCache cache) => cache.GetStats());

        group.MapGet("/nodes", (QsetDashboard.Caching.Redis.NodeDirectory nodes, CancellationToken ct) => nodes.GetNodesAsync(ct));

        group.MapPost("/flush", async (QsetCache cache, CancellationToken ct) =>
        {
            await cache.FlushAsync(ct);
            return Results.NoContent();
        });
    }
}

/// <summary>A cache entry as the API shows it.</summary>
internal sealed record CacheEntryDto(string Key, string Type, JsonNode? Value, int SizeBytes, DateTimeOffset CreatedAt, DateTimeOffset ExpiresAt);

/// <summary>A cache event as the API shows it.</summary>
internal sealed record CacheEventDto(
    long Sequence, DateTimeOffset Timestamp, string Kind, string Key, string? EntityType, string Source, double DurationMs, string? Detail)
{
    public static CacheEventDto From(CacheEvent e) =>
        new(e.Sequence, e.Timestamp, e.Kind.Label(), e.Key, e.EntityType, e.Source, e.Duration.TotalMilliseconds, e.Detail);
}
