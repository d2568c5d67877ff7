using Qset.Caching;

namespace QsetDashboard.Tests.Engine.Stores.Redis;

/// <summary>What a node on a Redis the cache refuses to use must do: read every value from the database, say why.</summary>
internal static class RefusedServer
{
    /// <summary>
    /// Reads, a write and a read again all come from the database (never a hit, never the old title), nothing is
    /// populated or fails, and <c>/health</c>'s description and one DEGRADED event carry <paramref name="why"/>.
    /// </summary>
    public static async Task AssertEveryReadGoesToTheDatabaseAsync(EngineOnlyHost host, string why)
    {
        await host.AddBookAsync(1, "Emma");

        var first = await host.Entities.ReadAsync<Book>([1]);
        await host.SaveBookAsync(1, "Persuasion");
        var second = await host.Entities.ReadAsync<Book>([1]);

        Assert.Equal(("Emma", false), (first.Value?.Title, first.Hit));
        Assert.Equal(("Persuasion", false), (second.Value?.Title, second.Hit));
        var health = Assert.IsAssignableFrom<IReportsHealth>(host.Cache.Store);
        Assert.True(health.IsDegraded, "the store reports the refusal as degraded");
        Assert.Contains(why, health.HealthDescription, StringComparison.Ordinal);
        Assert.Contains(host.Events(), e => e.Kind == CacheEventKind.Degraded && e.Detail!.Contains(why, StringComparison.Ordinal));
        Assert.DoesNotContain(host.Events(), e => e.Kind == CacheEventKind.Populate);
        Assert.DoesNotContain(host.Events(), e => e.Kind == CacheEventKind.Error);
    }
}
