using Microsoft.EntityFrameworkCore;
using Qset.Caching;
using Qset.Caching.Queries;
using QsetDashboard.Tests.Infrastructure;
using QsetDashboard.Tests.Redis;

namespace QsetDashboard.Tests.Engine.Stores.Hybrid;

/// <summary>QuerySet caching and automatic invalidation when several nodes share one Redis.</summary>
[Collection(RedisCollection.Name)]
public sealed class DistributedQueryTests(RedisServer redis)
{
    private static async Task<List<string>> TitlesStartingWithAAsync(EngineOnlyHost host)
    {
        await using var db = host.NewContext();
        return await db.Books.Where(b => b.Title.StartsWith("A")).OrderBy(b => b.Id).Select(b => b.Title).Cacheable().ToListAsync();
    }

    [Fact]
    public async Task Hybrid_AWriteOnOneNode_MakesEveryNodesCachedQueryResultStale()
    {
        var prefix = $"t{Guid.NewGuid():N}:";
        await using var nodes = await NodePair.StartAsync((s, _) => RedisCollection.Configure(s, redis, "Hybrid", prefix, "Qset"));
        var (nodeA, nodeB) = nodes;
        await using (var db = nodeA.NewContext())
        {
            db.Books.AddRange(new Book { Id = 1, Title = "Adam Bede" }, new Book { Id = 2, Title = "Bleak House" });
            await db.SaveChangesAsync();
        }

        Assert.Equal(["Adam Bede"], await TitlesStartingWithAAsync(nodeB));
        Assert.Equal(["Adam Bede"], await TitlesStartingWithAAsync(nodeB));
        Assert.Contains(nodeB.Events(), e => e.Kind == CacheEventKind.Hit && e.Key.StartsWith(QueryKeys.Prefix, StringComparison.Ordinal));

        await using (var db = nodeA.NewContext())
        {
            db.Books.Add(new Book { Id = 3, Title = "Amelia" });
            await db.SaveChangesAsync();
        }

        await Eventually.TrueAsync(() => nodeB.Cache.Versions.Current("LibraryDb:Book", TableVersionKind.AnyWrite) > 1, "node B hears node A's table bump", 5_000);
        Assert.Equal(["Adam Bede", "Amelia"], await TitlesStartingWithAAsync(nodeB));
        await using var direct = await redis.ConnectAsync();
        var server = direct.GetServers()[0];
        Assert.Empty(server.Keys(pattern: $"{prefix}e:{QueryKeys.Prefix}*"));
    }

    [Fact]
    public async Task RedisOnly_QueryResultsAreNotCached_AndSayWhy()
    {
        await using var host = await EngineOnlyHost.StartAsync(s => RedisCollection.Configure(s, redis, "Redis", section: "Qset"));
        await host.AddBookAsync(1, "Adam Bede");

        Assert.Equal(["Adam Bede"], await TitlesStartingWithAAsync(host));
        Assert.Equal(["Adam Bede"], await TitlesStartingWithAAsync(host));

        var rejects = host.Events().Where(e => e.Kind == CacheEventKind.Reject).ToList();
        Assert.Equal(2, rejects.Count);
        Assert.All(rejects, r => Assert.Contains("use Hybrid", r.Detail, StringComparison.Ordinal));
        Assert.DoesNotContain(host.Events(), e => e.Kind == CacheEventKind.Error);
    }
}
