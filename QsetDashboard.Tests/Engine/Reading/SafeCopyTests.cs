using Qset.Caching;
using QsetDashboard.Tests.Infrastructure;

namespace QsetDashboard.Tests.Engine.Reading;

/// <summary>
/// Safe copies: by default readers share the cached instance; with <c>CopyOnRead</c> (or for the types in
/// <c>CopyOnReadTypes</c>) each read gets its own copy, so changing it changes nothing cached; with
/// <c>CheckCachedValues</c> a shared value a reader changed is reported and dropped.
/// </summary>
public sealed class SafeCopyTests
{
    private static async Task<EngineOnlyHost> StartAsync(Action<Dictionary<string, string?>>? configure = null)
    {
        var host = await EngineOnlyHost.StartAsync(configure);
        await host.AddBookAsync(1, "Alice");
        await using var db = host.NewContext();
        db.Shelves.Add(new Shelf { Id = ShelfId, Name = "top" });
        await db.SaveChangesAsync();
        return host;
    }

    private static readonly Guid ShelfId = Guid.Parse("6f1c8f0e-1a2b-4c3d-9e8f-0a1b2c3d4e5f");

    [Fact]
    public async Task ByDefault_ReadersShareTheCachedInstance()
    {
        await using var host = await StartAsync();
        var first = (await host.Entities.ReadAsync<Book>([1])).Value;
        var second = (await host.Entities.ReadAsync<Book>([1])).Value;

        Assert.Same(first, second);
    }

    [Fact]
    public async Task CopyOnRead_EachReadGetsItsOwnCopy_AndChangingItChangesNothingCached()
    {
        await using var host = await StartAsync(s => s["Qset:CopyOnRead"] = "true");
        var missed = (await host.Entities.ReadAsync<Book>([1])).Value!;
        missed.Title = "changed by the first reader";
        var hit = await host.Entities.ReadAsync<Book>([1]);
        hit.Value!.Title = "changed by the second";
        var again = await host.Entities.ReadAsync<Book>([1]);

        Assert.True(hit.Hit && again.Hit);
        Assert.NotSame(hit.Value, again.Value);
        Assert.Equal("Alice", again.Value!.Title);
    }

    [Fact]
    public async Task CopyOnReadTypes_CopiesOnlyTheTypesNamed()
    {
        await using var host = await StartAsync(s => s["Qset:CopyOnReadTypes:0"] = "LibraryDb:Book");
        await host.Entities.ReadAsync<Book>([1]);
        await host.Entities.ReadAsync<Shelf>([ShelfId]);

        Assert.NotSame((await host.Entities.ReadAsync<Book>([1])).Value, (await host.Entities.ReadAsync<Book>([1])).Value);
        Assert.Same((await host.Entities.ReadAsync<Shelf>([ShelfId])).Value, (await host.Entities.ReadAsync<Shelf>([ShelfId])).Value);
    }

    [Fact]
    public async Task CheckCachedValues_ReportsASharedValueAReaderChanged_AndDropsIt()
    {
        await using var host = await StartAsync(s => s["Qset:CheckCachedValues"] = "true");
        var shared = (await host.Entities.ReadAsync<Book>([1])).Value!;
        Assert.True((await host.Entities.ReadAsync<Book>([1])).Hit);
        shared.Title = "changed in place";

        await host.Entities.ReadAsync<Book>([1]);

        var error = Assert.Single(host.Events(), e => e.Kind == CacheEventKind.Error);
        Assert.Equal("LibraryDb:Book.1", error.Key);
        Assert.Contains("no longer matches what was cached: code that read it changed it", error.Detail, StringComparison.Ordinal);
        await Eventually.TrueAsync(async () => await host.Browser.PeekAsync("LibraryDb:Book.1") is null, "the changed value was dropped");
        var fresh = await host.Entities.ReadAsync<Book>([1]);
        Assert.False(fresh.Hit);
        Assert.Equal("Alice", fresh.Value!.Title);
    }
}
