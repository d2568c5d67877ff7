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
    [InlineData("Redis")]
    [InlineData("Hybrid")]
    public async Task ExecuteUpdateOnOneNode_RefusesAnotherNodesPopulateThatBeganBeforeIt(string backend)
    {
        var prefix = $"t{Guid.NewGuid():N}:";
        await using var nodeA = await EngineHost.StartAsync(s => { RedisCollection.Configure(s, redis, backend, prefix); s["Cache:NodeId"] = "a"; });
        await using var nodeB = await EngineHost.StartAsync(s => { RedisCollection.Configure(s, redis, backend, prefix); s["Cache:NodeId"] = "b"; }, sharedConnectionString: nodeA.ConnectionString);
        await nodeA.Repository.UpsertAsync(new User { Id = 5, Name = "before" });
        var hasRead = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var resume = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);

        var slowRead = nodeB.Cache.GetAsync("User.5", nodeB.Repository, async (repository, ct) =>
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
            reject.Detail?.Contains("bulk write to User", StringComparison.Ordinal) == true,
            $"node B's populate was refused for another reason.\nA: {nodeA.DumpEvents()}\nB: {nodeB.DumpEvents()}");
        Assert.Equal("after", (await nodeB.Generic.GetAsync<User>(5))!.Name);
        Assert.Equal("after", (await nodeA.Generic.GetAsync<User>(5))!.Name);
    }
}
