using Microsoft.EntityFrameworkCore;
using Qset.Caching;
using QsetDashboard.Data;
using QsetDashboard.Tests.Infrastructure;

namespace QsetDashboard.Tests.Redis;

/// <summary>A bulk write on one node refuses the by-id populates that began before it on another node.</summary>
[Collection(RedisCollection.Name)]
public sealed class BulkWriteAcrossNodesTests(RedisServer redis)
{
    [Theory]
    [InlineData("Redis", "User.5", "bulk write to User")]
    [InlineData("Hybrid", "User.5", "bulk write to User")]
    [InlineData("Redis", "5", "a bulk write committed")]
    [InlineData("Hybrid", "5", "a bulk write committed")]
    public async Task ExecuteUpdateOnOneNode_RefusesAnotherNodesPopulateThatBeganBeforeIt(string backend, string key, string reason)
    {
        // "5": the simple style's bare key names no table, so no table's generation can guard it; every bulk write's can.
        var prefix = $"t{Guid.NewGuid():N}:";
        await using var nodeA = await EngineHost.StartAsync(s => { RedisCollection.Configure(s, redis, backend, prefix); s["Cache:NodeId"] = "a"; });
        await using var nodeB = await EngineHost.StartAsync(s => { RedisCollection.Configure(s, redis, backend, prefix); s["Cache:NodeId"] = "b"; }, sharedConnectionString: nodeA.ConnectionString);
        await nodeA.Repository.UpsertAsync(new User { Id = 5, Name = "before" });
        var hasRead = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var resume = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);

        var slowRead = nodeB.Cache.GetAsync(key, nodeB.Repository, async (repository, ct) =>
        {
            var user = await repository.FindAsync<User>(5, ct);
            hasRead.SetResult();
            await resume.Task;
            return user;
        }).AsTask();
        await hasRead.Task;
        await using (var db = nodeA.NewContext())
        {
            await db.Users.Where(u => u.Id == 5).ExecuteUpdateAsync(s => s.SetProperty(u => u.Name, "after"));
        }

        resume.SetResult();
        Assert.Equal("before", (await slowRead).Value!.Name);

        var reject = Assert.Single(nodeB.Events(), e => e.Kind == CacheEventKind.Reject);
        Assert.True(
            reject.Detail?.Contains(reason, StringComparison.Ordinal) == true,
            $"node B's populate was refused for another reason.\nA: {nodeA.DumpEvents()}\nB: {nodeB.DumpEvents()}");
        foreach (var node in new[] { nodeB, nodeA })
        {
            var read = await node.Cache.GetAsync(key, node.Repository, (repository, ct) => repository.FindAsync<User>(5, ct));
            Assert.Equal("after", read.Value!.Name);
        }
    }

    [Fact]
    public async Task OnHybrid_ABulkWriteReturns_OnlyOnceEveryOtherNodeDroppedItsL1CopiesOfTheTable_FromOneMessage()
    {
        var prefix = $"t{Guid.NewGuid():N}:";
        await using var nodeA = await EngineHost.StartAsync(s => { RedisCollection.Configure(s, redis, "Hybrid", prefix); s["Cache:NodeId"] = "a"; });
        await using var nodeB = await EngineHost.StartAsync(s => { RedisCollection.Configure(s, redis, "Hybrid", prefix); s["Cache:NodeId"] = "b"; }, sharedConnectionString: nodeA.ConnectionString);
        for (var id = 1; id <= 3; id++)
        {
            await nodeA.Repository.UpsertAsync(new User { Id = id, Name = "before" });
            await nodeB.Generic.GetAsync<User>(id);
        }

        Assert.Equal(3, nodeB.Cache.Store.Count);

        await using (var db = nodeA.NewContext())
        {
            await db.Users.ExecuteUpdateAsync(s => s.SetProperty(u => u.Name, "after"));
        }

        Assert.Equal(0, nodeB.Cache.Store.Count);
        Assert.Equal(
            ["User.1", "User.2", "User.3"],
            nodeB.Events().Where(e => e.Kind == CacheEventKind.Invalidate && e.Detail == "L1 copy dropped: its table was bulk-written by node a").Select(e => e.Key).Order(StringComparer.Ordinal));
        Assert.Equal("after", (await nodeB.Generic.GetAsync<User>(2))!.Name);
    }

    [Fact]
    public async Task OnHybrid_AFlushElsewhere_DropsThisNodesL1_AsOneEventCountingEveryCopy()
    {
        // One event per copy pushed DEGRADED and RECOVERED out of the journal when a node held a million.
        const int Copies = CacheRecorder.OneByOne + 50;
        var prefix = $"t{Guid.NewGuid():N}:";
        await using var nodeA = await EngineHost.StartAsync(s => { RedisCollection.Configure(s, redis, "Hybrid", prefix); s["Cache:NodeId"] = "a"; });
        await using var nodeB = await EngineHost.StartAsync(s => { RedisCollection.Configure(s, redis, "Hybrid", prefix); s["Cache:NodeId"] = "b"; s["Cache:Capacity"] = "1000"; }, sharedConnectionString: nodeA.ConnectionString);
        for (var id = 1; id <= Copies; id++)
        {
            await nodeB.Cache.GetAsync<User, int>($"User.{id}", id, static (i, _) => Task.FromResult<User?>(new User { Id = i, Name = "n" }));
        }

        Assert.Equal(Copies, nodeB.Cache.Store.Count);
        var invalidationsBefore = nodeB.Cache.GetStats().Invalidations;
        var eventsBefore = nodeB.Events().Count;

        await nodeA.Cache.FlushAsync();

        Assert.Equal(0, nodeB.Cache.Store.Count);
        var dropped = Assert.Single(nodeB.Events().Skip(eventsBefore), e => e.Kind == CacheEventKind.Invalidate);
        Assert.Equal("*", dropped.Key);
        Assert.Equal($"{Copies} L1 copies dropped: flush broadcast by node a", dropped.Detail);
        Assert.Equal(invalidationsBefore + Copies, nodeB.Cache.GetStats().Invalidations);
    }
}
