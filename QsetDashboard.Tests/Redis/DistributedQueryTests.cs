using Microsoft.EntityFrameworkCore;
using Qset.Caching;
using Qset.Caching.Queries;
using QsetDashboard.Data;
using QsetDashboard.Tests.Infrastructure;

namespace QsetDashboard.Tests.Redis;

/// <summary>QuerySet caching and automatic invalidation when several nodes share one Redis.</summary>
[Collection(RedisCollection.Name)]
public sealed class DistributedQueryTests(RedisServer redis)
{
    private static async Task<List<string>> NamesStartingWithAAsync(EngineHost host)
    {
        await using var db = host.NewContext();
        return await db.Users.Where(u => u.Name.StartsWith("A")).OrderBy(u => u.Id).Select(u => u.Name).Cacheable().ToListAsync();
    }

    [Fact]
    public async Task Hybrid_AWriteOnOneNode_MakesEveryNodesCachedQueryResultStale()
    {
        var prefix = $"t{Guid.NewGuid():N}:";
        await using var nodeA = await EngineHost.StartAsync(s => { RedisCollection.Configure(s, redis, "Hybrid", prefix); s["Cache:NodeId"] = "a"; });
        await using var nodeB = await EngineHost.StartAsync(s => { RedisCollection.Configure(s, redis, "Hybrid", prefix); s["Cache:NodeId"] = "b"; }, sharedConnectionString: nodeA.ConnectionString);
        await using (var db = nodeA.NewContext())
        {
            db.Users.AddRange(new User { Id = 1, Name = "Alice" }, new User { Id = 2, Name = "Bob" });
            await db.SaveChangesAsync();
        }

        Assert.Equal(["Alice"], await NamesStartingWithAAsync(nodeB));
        Assert.Equal(["Alice"], await NamesStartingWithAAsync(nodeB));
        Assert.Contains(nodeB.Events(), e => e.Kind == CacheEventKind.Hit && e.Key.StartsWith(QueryKeys.Prefix, StringComparison.Ordinal));

        await using (var db = nodeA.NewContext())
        {
            db.Users.Add(new User { Id = 3, Name = "Anna" });
            await db.SaveChangesAsync();
        }

        await Eventually.TrueAsync(() => nodeB.Cache.Versions.Current("User", TableVersionKind.AnyWrite) > 1, "node B hears node A's table bump", 5_000);
        Assert.Equal(["Alice", "Anna"], await NamesStartingWithAAsync(nodeB));
        await using var direct = await redis.ConnectAsync();
        var server = direct.GetServers()[0];
        Assert.Empty(server.Keys(pattern: $"{prefix}e:{QueryKeys.Prefix}*"));
    }

    [Fact]
    public async Task RedisOnly_QueryResultsAreNotCached_AndSayWhy()
    {
        await using var host = await EngineHost.StartAsync(s => RedisCollection.Configure(s, redis, "Redis"));
        await using (var db = host.NewContext())
        {
            db.Users.Add(new User { Id = 1, Name = "Alice" });
            await db.SaveChangesAsync();
        }

        Assert.Equal(["Alice"], await NamesStartingWithAAsync(host));
        Assert.Equal(["Alice"], await NamesStartingWithAAsync(host));

        var rejects = host.Events().Where(e => e.Kind == CacheEventKind.Reject).ToList();
        Assert.Equal(2, rejects.Count);
        Assert.All(rejects, r => Assert.Contains("use Hybrid", r.Detail, StringComparison.Ordinal));
        Assert.DoesNotContain(host.Events(), e => e.Kind == CacheEventKind.Error);
    }
}
