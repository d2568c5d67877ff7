using Qset.Caching;
using QsetDashboard.Tests.Infrastructure;

namespace QsetDashboard.Tests.Engine.Stores.Memory;

/// <summary>What the O(1) eviction order must keep true: exact capacity, the policy's own choice, LRU's hit ratio or better.</summary>
public sealed class EvictionTests
{
    private static Task<Book?> Load(int id, CancellationToken _) => Task.FromResult<Book?>(new Book { Id = id, Title = $"b{id}" });

    private static ValueTask<CacheRead<Book>> ReadAsync(EngineOnlyHost host, int id) =>
        host.Cache.GetAsync<Book, int>(CacheKeys.For<Book>(id), id, Load);

    [Fact]
    public async Task TheVictim_IsTheOldestEntryNotReadSinceTheHandPassed_AndTheHandMovesOn()
    {
        await using var host = await EngineOnlyHost.StartAsync(s => s["Qset:Capacity"] = "3");
        await ReadAsync(host, 1);
        await ReadAsync(host, 2);
        await ReadAsync(host, 3);
        Assert.True((await ReadAsync(host, 1)).Hit);

        await ReadAsync(host, 4);  // 1 was read: the hand clears its bit and takes 2
        await ReadAsync(host, 5);  // the hand moved on from 2 to 3, unread: 3 goes

        var keys = (await host.Cache.Store.ListAsync()).Select(e => e.Key).ToArray();
        Assert.Equal(["Book.1", "Book.4", "Book.5"], keys);
        await Eventually.TrueAsync(() => host.Events().Count(e => e.Kind == CacheEventKind.Evict) == 2, "both EVICT events arrive");
        Assert.Equal(["Book.2", "Book.3"], host.Events().Where(e => e.Kind == CacheEventKind.Evict).Select(e => e.Key).Order(StringComparer.Ordinal));
        Assert.All(host.Events().Where(e => e.Kind == CacheEventKind.Evict), e => Assert.Contains("capacity of 3", e.Detail, StringComparison.Ordinal));
    }

    [Fact]
    public async Task APeek_IsNotARead_TheEvictionHandStillTakesThePeekedEntry()
    {
        await using var host = await EngineOnlyHost.StartAsync(s => s["Qset:Capacity"] = "3");
        await ReadAsync(host, 1);
        await ReadAsync(host, 2);
        await ReadAsync(host, 3);

        Assert.NotNull(await host.Cache.Store.PeekAsync("Book.1"));
        await ReadAsync(host, 4);

        Assert.Null(await host.Cache.Store.PeekAsync("Book.1"));
        Assert.NotNull(await host.Cache.Store.PeekAsync("Book.2"));
    }

    [Fact]
    public async Task Capacity_IsHeldExactly_UnderConcurrentPopulatesOfDistinctKeys()
    {
        const int capacity = 500;
        await using var host = await EngineOnlyHost.StartAsync(s => s["Qset:Capacity"] = capacity.ToString(System.Globalization.CultureInfo.InvariantCulture));
        var overCapacity = 0;

        await Task.WhenAll(Enumerable.Range(0, 4).Select(t => Task.Run(async () =>
        {
            for (var i = 0; i < 5_000; i++)
            {
                await ReadAsync(host, (t * 5_000) + i + 1);
                if (host.Cache.Store.Count > capacity)
                {
                    Interlocked.Increment(ref overCapacity);
                }
            }
        })));

        Assert.Equal(0, overCapacity);
        Assert.Equal(capacity, host.Cache.Store.Count);
        Assert.Equal(capacity, (await host.Cache.Store.ListAsync()).Count);
    }

    [Fact]
    public async Task Counts_StayExact_UnderTwoWritersAndFourReaders()
    {
        await using var host = await EngineOnlyHost.StartAsync(s => s["Qset:JournalCapacity"] = "1000000");
        const int readsEach = 20_000;
        const int invalidationsEach = 5_000;

        var readers = Enumerable.Range(0, 4).Select(r => Task.Run(async () =>
        {
            for (var i = 0; i < readsEach; i++)
            {
                await ReadAsync(host, (i % 50) + 1);
            }
        }));
        var writers = Enumerable.Range(0, 2).Select(w => Task.Run(async () =>
        {
            for (var i = 0; i < invalidationsEach; i++)
            {
                await host.Cache.InvalidateAsync(CacheKeys.For<Book>((i % 50) + 1), nameof(Book));
            }
        }));
        await Task.WhenAll([.. readers, .. writers]);

        var stats = host.Cache.GetStats();
        Assert.Equal(4L * readsEach, stats.Hits + stats.Misses);
        Assert.Equal(2L * invalidationsEach, stats.Invalidations);
        var journal = host.Events();
        Assert.Equal(stats.Hits, journal.Count(e => e.Kind == CacheEventKind.Hit));
        Assert.Equal(stats.Misses, journal.Count(e => e.Kind == CacheEventKind.Miss));
        Assert.Equal(stats.Invalidations, journal.Count(e => e.Kind == CacheEventKind.Invalidate));
    }

    [Theory]
    [InlineData(0.8)]
    [InlineData(1.0)]
    [InlineData(1.2)]
    public async Task OnAZipfTrace_TheHitRatio_IsAtLeastLrus(double exponent)
    {
        const int capacity = 100;
        const int keys = 2_000;
        const int reads = 50_000;
        await using var host = await EngineOnlyHost.StartAsync(s => s["Qset:Capacity"] = capacity.ToString(System.Globalization.CultureInfo.InvariantCulture));
        var chooser = new ZipfRanks(keys, exponent);
        var trace = new Random(7);
        var lru = new LruSimulation(capacity);
        var ours = 0;

        for (var i = 0; i < reads; i++)
        {
            var id = chooser.Next(trace) + 1;
            lru.Read(id);
            if ((await ReadAsync(host, id)).Hit)
            {
                ours++;
            }
        }

        Assert.True(ours >= lru.Hits, $"Zipf s={exponent}: {ours} hits against LRU's {lru.Hits} of {reads}");
    }

    /// <summary>Key ranks drawn with Zipf's law (rank k, 0 the hottest, weighs 1/(k+1)^s): the inverse of the cumulative weights.</summary>
    private sealed class ZipfRanks
    {
        private readonly double[] _cumulative;

        public ZipfRanks(int count, double exponent)
        {
            _cumulative = new double[count];
            var total = 0.0;
            for (var k = 0; k < count; k++)
            {
                total += 1.0 / Math.Pow(k + 1, exponent);
                _cumulative[k] = total;
            }

            for (var k = 0; k < count; k++)
            {
                _cumulative[k] /= total;
            }
        }

        public int Next(Random random)
        {
            var index = Array.BinarySearch(_cumulative, random.NextDouble());
            return Math.Min(index < 0 ? ~index : index, _cumulative.Length - 1);
        }
    }

    /// <summary>Textbook LRU, the baseline: a list in recency order and a map into it.</summary>
    private sealed class LruSimulation(int capacity)
    {
        private readonly LinkedList<int> _order = new();
        private readonly Dictionary<int, LinkedListNode<int>> _nodes = [];

        public int Hits { get; private set; }

        public void Read(int key)
        {
            if (_nodes.TryGetValue(key, out var node))
            {
                Hits++;
                _order.Remove(node);
                _order.AddFirst(node);
                return;
            }

            if (_nodes.Count == capacity)
            {
                _nodes.Remove(_order.Last!.Value);
                _order.RemoveLast();
            }

            _nodes[key] = _order.AddFirst(key);
        }
    }
}
