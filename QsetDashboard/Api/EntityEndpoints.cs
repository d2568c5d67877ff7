using Qset.Dashboard.Api;
using Qset.Caching;
using QsetDashboard.Data;
using QsetDashboard.Demos;
using QsetDashboard.Styles;

namespace QsetDashboard.Api;

/// <summary>
/// <c>/api/users</c> and <c>/api/teams</c>: CRUD through the generic cache; a GET by id says HIT, MISS or STALE (fail-safe) in <c>X-Cache</c>.
/// The demos' ids (<see cref="DemoIds"/>) can be read but not written.
/// </summary>
internal static class EntityEndpoints
{
    public const string CacheHeader = "X-Cache";

    public static void MapEntityEndpoints<T>(this IEndpointRouteBuilder api, string path, Func<int, string, T> create)
        where T : CacheableModel
    {
        var noun = CacheKeys.EntityName<T>();
        var group = api.MapGroup(path).WithTags(noun);

        group.MapGet("/", async (string? limit, string? cursor, EntityRepository repository, HttpContext http, CancellationToken ct) =>
        {
            if (!ApiPaging.TryParseLimit(limit, out var size, out var problem) || !ApiPaging.TryDecodeCursor(cursor, out var after, out problem))
            {
                return problem!;
            }

            // The cursor is the last id of the previous page: keyset paging, an index seek however many rows there are.
            var afterId = 0;
            if (after is not null && !int.TryParse(after, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out afterId))
            {
                return ApiPaging.BadCursor();
            }

            var (rows, more) = await repository.PageAsync<T>(afterId, size, ct);
            ApiPaging.AddNextPage(http, more ? rows[^1].Id.ToString(System.Globalization.CultureInfo.InvariantCulture) : null, size);
            return Results.Ok(rows);
        });

        group.MapGet("/{id}", async (string id, GenericCache cache, HttpResponse response, CancellationToken ct) =>
        {
            if (!SampleProblems.TryParseId(id, out var value, out var problem))
            {
                return problem!;
            }

            var read = await cache.ReadAsync<T>(value, ct);
            response.Headers[CacheHeader] = read.Stale ? "STALE" : read.Hit ? "HIT" : "MISS";
            return read.Value is null ? ApiProblems.NotFound($"No {noun} with id={value}.") : Results.Ok(read.Value);
        });

        group.MapPost("/", async (HttpRequest request, GenericCache cache, CancellationToken ct) =>
        {
            var (input, problem) = await EntityInput.ReadAsync(request, requireId: true, ct);
            if (input is null)
            {
                return problem!;
            }

            if (DemoIds.WhyReserved<T>(input.Id!.Value) is { } reserved)
            {
                return SampleProblems.Reserved(reserved);
            }

            var entity = create(input.Id.Value, input.Name);
            return await cache.CreateAsync(entity, ct)
                ? Results.Created($"{request.PathBase}{request.Path.Value!.TrimEnd('/')}/{entity.Id}", entity)
                : SampleProblems.Conflict($"A {noun} with id={entity.Id} already exists.");
        });

        group.MapPut("/{id}", async (string id, HttpRequest request, GenericCache cache, CancellationToken ct) =>
        {
            if (!SampleProblems.TryParseId(id, out var value, out var problem))
            {
                return problem!;
            }

            if (DemoIds.WhyReserved<T>(value) is { } reserved)
            {
                return SampleProblems.Reserved(reserved);
            }

            var (input, bodyProblem) = await EntityInput.ReadAsync(request, requireId: false, ct);
            if (input is null)
            {
                return bodyProblem!;
            }

            var entity = create(value, input.Name);
            return await cache.UpdateAsync(entity, ct) ? Results.Ok(entity) : ApiProblems.NotFound($"No {noun} with id={value}.");
        });

        group.MapDelete("/{id}", async (string id, GenericCache cache, CancellationToken ct) =>
        {
            if (!SampleProblems.TryParseId(id, out var value, out var problem))
            {
                return problem!;
            }

            if (DemoIds.WhyReserved<T>(value) is { } reserved)
            {
                return SampleProblems.Reserved(reserved);
            }

            return await cache.RemoveAsync<T>(value, ct) ? Results.NoContent() : ApiProblems.NotFound($"No {noun} with id={value}.");
        });
    }
}
