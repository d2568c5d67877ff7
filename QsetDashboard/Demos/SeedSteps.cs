using QsetDashboard.Data;

namespace QsetDashboard.Demos;

/// <summary>The seed's eight-step test run (create, get twice, update, get twice, remove, get), for any style.</summary>
internal static class SeedSteps
{
    public const int Id = DemoIds.SeedId;

    public static IReadOnlyList<DemoStep> Build(
        string noun,
        string firstName,
        string secondName,
        Func<string, CancellationToken, Task> set,
        Func<CancellationToken, Task<CacheableModel?>> get,
        Func<CancellationToken, Task> remove) =>
    [
        new($"Creating a {noun} with id={Id}", async ct => { await set(firstName, ct); return null; }),
        new($"First get of {noun} with id={Id}", async ct => Got(await get(ct))),
        new($"Second get of {noun} with id={Id}", async ct => Got(await get(ct))),
        new($"Updating {noun} with id={Id}", async ct => { await set(secondName, ct); return null; }),
        new($"First get of updated {noun} with id={Id}", async ct => Got(await get(ct))),
        new($"Second get of updated {noun} with id={Id}", async ct => Got(await get(ct))),
        new($"Removing {noun} with id={Id}", async ct => { await remove(ct); return null; }),
        new($"Get removed {noun} with id={Id}", async ct => Got(await get(ct))),
    ];

    /// <summary>The seed's result line, with <c>name=</c> where the seed wrote <c>mame=</c>.</summary>
    public static string Got(CacheableModel? model) =>
        model is null ? "Got None" : $"Got {model.EntityType} id={model.Id} name={model.Name}";
}
