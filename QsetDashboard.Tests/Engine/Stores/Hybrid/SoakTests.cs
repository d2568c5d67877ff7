using System.Collections.Concurrent;
using System.Globalization;
using Qset.Caching;
using QsetDashboard.Tests.Infrastructure;
using QsetDashboard.Tests.Redis;

namespace QsetDashboard.Tests.Engine.Stores.Hybrid;

/// <summary>
/// Two Hybrid nodes over one database and one Redis, with writers and readers on both, while Redis is killed (and
/// comes back with its keys), stalled with SIGSTOP and thawed, and killed and restarted at once. Each key has one
/// writer, whose titles are increasing version numbers. On either node, a read never returns a version older than the
/// last one acknowledged when the read began (an L1 copy put back after its invalidation, or Redis answering with old
/// entries after a reconnect, both show as one). While a write is under way, between its commit and its invalidation,
/// reads may see either version: that is what acknowledgement means. Its own category: it runs for seconds on purpose.
/// </summary>
[Trait("Category", "Soak")]
public sealed class SoakTests : IAsyncLifetime
{
    private const int KeysPerNode = 4;

    private readonly RedisServer _redis = RedisServer.Persistent();

    public Task InitializeAsync() => _redis.InitializeAsync();

    public Task DisposeAsync() => _redis.DisposeAsync();

    [Fact]
    public async Task TwoNodes_RedisKilledStalledAndRestarted_NoReadIsOlderThanTheLastAcknowledgedWrite()
    {
        var prefix = $"t{Guid.NewGuid():N}:";
        await using var pair = await NodePair.StartAsync((s, _) =>
        {
            RedisCollection.Configure(s, _redis, "Hybrid", prefix, "Qset");
            s["Qset:RedisTimeout"] = "00:00:00.500";
        });
        EngineOnlyHost[] nodes = [pair.A, pair.B];
        var acknowledged = new long[2 * KeysPerNode + 1];
        for (var id = 1; id < acknowledged.Length; id++)
        {
            await pair.A.AddBookAsync(id, "0");
        }

        var stale = new ConcurrentQueue<string>();
        var errors = new ConcurrentQueue<Exception>();
        long reads = 0, writes = 0;
        using var stop = new CancellationTokenSource();

        // Node A writes keys 1-4, node B keys 5-8: one writer per key, so its versions only grow.
        var writers = nodes.Select((node, n) => Task.Run(async () =>
        {
            var random = new Random(n + 1);
            while (!stop.IsCancellationRequested)
            {
                var id = n * KeysPerNode + 1 + random.Next(KeysPerNode);
                var version = Volatile.Read(ref acknowledged[id]) + 1;
                try
                {
                    await node.SaveBookAsync(id, version.ToString(CultureInfo.InvariantCulture));
                    Volatile.Write(ref acknowledged[id], version);
                    Interlocked.Increment(ref writes);
                }
                catch (Exception ex)
                {
                    errors.Enqueue(ex);
                }

                await Task.Delay(random.Next(1, 4));
            }
        })).ToArray();
        var readers = Enumerable.Range(0, 4).Select(r => Task.Run(async () =>
        {
            var node = nodes[r % 2];
            var random = new Random(100 + r);
            while (!stop.IsCancellationRequested)
            {
                var n = r % 2;
                var id = 1 + random.Next(2 * KeysPerNode);
                var floor = Volatile.Read(ref acknowledged[id]);
                try
                {
                    var read = await node.Entities.ReadAsync<Book>([id]);
                    var version = long.Parse(read.Value!.Title, CultureInfo.InvariantCulture);
                    if (version < floor)
                    {
                        stale.Enqueue($"node {n} read LibraryDb:Book.{id} as {version} after {floor} was acknowledged (hit={read.Hit})");
                    }

                    Interlocked.Increment(ref reads);
                }
                catch (Exception ex)
                {
                    errors.Enqueue(ex);
                }

                // Readers leave the two cores room for the writers, the acknowledgements and the heartbeats.
                if (Interlocked.Read(ref reads) % 16 == 0)
                {
                    await Task.Delay(1);
                }
                else
                {
                    await Task.Yield();
                }
            }
        })).ToArray();

        // The faults, one after another, each with traffic before and after it.
        await Task.Delay(800);
        await _redis.StopAsync();
        await Task.Delay(800);
        await _redis.StartAsync();
        await WaitRecoveredAsync(nodes);
        await Task.Delay(800);
        await _redis.PauseAsync();

        // Longer than a lease: a node that hears nothing stops serving its L1 while Redis is frozen.
        await Task.Delay(3_000);
        await _redis.ResumeAsync();
        await WaitRecoveredAsync(nodes);
        await Task.Delay(800);
        await _redis.StopAsync();
        await _redis.StartAsync();
        await WaitRecoveredAsync(nodes);
        await Task.Delay(800);
        await stop.CancelAsync();
        await Task.WhenAll([.. writers, .. readers]);

        Assert.Empty(errors);
        Assert.True(writes > 50 && reads > 500, $"too little traffic to prove anything ({writes} writes, {reads} reads)");
        Assert.True(stale.IsEmpty, $"{stale.Count} stale reads, first: {string.Join("; ", stale.Take(5))}");
        foreach (var node in nodes)
        {
            for (var id = 1; id < acknowledged.Length; id++)
            {
                Assert.Equal(acknowledged[id].ToString(CultureInfo.InvariantCulture), (await node.Entities.FindAsync<Book>(id))!.Title);
            }
        }
    }

    /// <summary>Both nodes are caching again (their reads start the recovery, so the load itself drives it).</summary>
    private static Task WaitRecoveredAsync(EngineOnlyHost[] nodes) =>
        Eventually.TrueAsync(() => nodes.All(n => !((IReportsHealth)n.Cache.Store).IsDegraded), "both nodes recover", 30_000);
}
