using Microsoft.EntityFrameworkCore;
using Qset.Caching;
using QsetDashboard.Tests.Infrastructure;
using QsetDashboard.Tests.Redis;

namespace QsetDashboard.Tests.Engine.Stores;

/// <summary>A bulk write on one node refuses the by-id populates that began before it on another node.</summary>
[Collection(RedisCollection.Name)]
public sealed class BulkWriteAcrossNodesTests(RedisServer redis)
{
    /// <summary>Nodes a and b over one database and one prefix; <paramref name="configureB"/> adds to b's settings.</summary>
    private Task<NodePair> TwoNodesAsync(string backend, Action<Dictionary<string, string?>>? configureB = null)
    {
        var prefix = $"t{Guid.NewGuid():N}:";
        return NodePair.StartAsync((s, node) =>
        {
            RedisCollection.Configure(s, redis, backend, prefix, "Qset");
            if (node == "b")
            {
                configureB?.Invoke(s);
            }
        });
    }

    [Theory]
    [InlineData("Redis", "LibraryDb:Book.5", "bulk write to LibraryDb:Book")]
    [InlineData("Hybrid", "LibraryDb:Book.5", "bulk write to LibraryDb:Book")]
    [InlineData("Redis", "5", "a bulk write committed")]
    [InlineData("Hybrid", "5", "a bulk write committed")]
    public async Task ExecuteUpdateOnOneNode_RefusesAnotherNodesPopulateThatBeganBeforeIt(string backend, string key, string reason)
    {
        // "5": a bare key names no table, so no table's generation can guard it; every bulk write's can.
        await using var nodes = await TwoNodesAsync(backend);
        var (nodeA, nodeB) = nodes;
        await nodeA.AddBookAsync(5, "before");
        var hasRead = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var resume = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);

        var slowRead = nodeB.GetBookAsync(key, 5, async (_, _) =>
        {
            hasRead.SetResult();
            await resume.Task;
        }).AsTask();
        await hasRead.Task;
        await using (var db = nodeA.NewContext())
        {
            await db.Books.Where(b => b.Id == 5).ExecuteUpdateAsync(s => s.SetProperty(b => b.Title, "after"));
        }

        resume.SetResult();
        Assert.Equal("before", (await slowRead).Value!.Title);

        var reject = Assert.Single(nodeB.Events(), e => e.Kind == CacheEventKind.Reject);
        Assert.True(
            reject.Detail?.Contains(reason, StringComparison.Ordinal) == true,
            $"node B's populate was refused for another reason.\nA: {nodeA.DumpEvents()}\nB: {nodeB.DumpEvents()}");
        foreach (var node in new[] { nodeB, nodeA })
        {
            Assert.Equal("after", (await node.GetBookAsync(key, 5)).Value!.Title);
        }
    }

    [Fact]
    public async Task OnHybrid_ABulkWriteReturns_OnlyOnceEveryOtherNodeDroppedItsL1CopiesOfTheTable_FromOneMessage()
    {
        await using var nodes = await TwoNodesAsync("Hybrid");
        var (nodeA, nodeB) = nodes;
        for (var id = 1; id <= 3; id++)
        {
            await nodeA.AddBookAsync(id, "before");
            await nodeB.Entities.FindAsync<Book>(id);
        }

        Assert.Equal(3, nodeB.Cache.Store.Count);

        await using (var db = nodeA.NewContext())
        {
            await db.Books.ExecuteUpdateAsync(s => s.SetProperty(b => b.Title, "after"));
        }

        Assert.Equal(0, nodeB.Cache.Store.Count);
        Assert.Equal(
            ["LibraryDb:Book.1", "LibraryDb:Book.2", "LibraryDb:Book.3"],
            nodeB.Events().Where(e => e.Kind == CacheEventKind.Invalidate && e.Detail == "L1 copy dropped: its table was bulk-written by node a").Select(e => e.Key).Order(StringComparer.Ordinal));
        Assert.Equal("after", (await nodeB.Entities.FindAsync<Book>(2))!.Title);
    }

    [Fact]
    public async Task OnHybrid_AFlushElsewhere_DropsThisNodesL1_AsOneEventCountingEveryCopy()
    {
        // One event per copy pushed DEGRADED and RECOVERED out of the journal when a node held a million.
        const int Copies = CacheRecorder.OneByOne + 50;
        await using var nodes = await TwoNodesAsync("Hybrid", s => s["Qset:Capacity"] = "1000");
        var (nodeA, nodeB) = nodes;
        for (var id = 1; id <= Copies; id++)
        {
            await nodeB.Cache.GetAsync<Book, int>($"Book.{id}", id, static (i, _) => Task.FromResult<Book?>(new Book { Id = i, Title = "t" }));
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
