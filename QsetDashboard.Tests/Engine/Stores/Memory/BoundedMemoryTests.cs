using Qset.Caching;
using QsetDashboard.Tests.Infrastructure;

namespace QsetDashboard.Tests.Engine.Stores.Memory;

/// <summary>
/// Memory stays flat however many distinct keys pass through: every structure the engine keeps per key has a bound,
/// and a long run of distinct reads and invalidations leaves each within it. (Bytes are measured in the benchmarks;
/// here the structures themselves are counted, which cannot flake.)
/// </summary>
public sealed class BoundedMemoryTests
{
    private const int Capacity = 100;
    private const int JournalCapacity = 10_000;

    [Fact]
    public async Task TwoHundredThousandDistinctReads_AndAHundredThousandInvalidations_LeaveEveryStructureWithinItsBound()
    {
        await using var host = await EngineOnlyHost.StartAsync(s =>
        {
            s["Qset:Capacity"] = Capacity.ToString(System.Globalization.CultureInfo.InvariantCulture);
            s["Qset:JournalCapacity"] = JournalCapacity.ToString(System.Globalization.CultureInfo.InvariantCulture);
        });
        var store = Assert.IsType<MemoryCacheStore>(host.Cache.Store);
        static Task<Book?> Load(int id, CancellationToken _) => Task.FromResult<Book?>(new Book { Id = id, Title = $"b{id}" });

        for (var id = 1; id <= 200_000; id++)
        {
            var read = await host.Cache.GetAsync<Book, int>(CacheKeys.For<Book>(id), id, Load);
            Assert.Equal(id, read.Value!.Id);
            if (id % 2 == 0)
            {
                await host.Cache.InvalidateAsync(CacheKeys.For<Book>(id - 1), nameof(Book));
            }
        }

        Assert.InRange(store.Count, 1, Capacity);
        Assert.InRange(store.TrackedInvalidations, 1, Math.Max(4 * Capacity, 1_024));
        Assert.Equal(JournalCapacity, host.Journal.Count);
        Assert.Equal(0, host.Cache.LoadsInFlight);
        Assert.Equal(200_000, host.Cache.GetStats().Misses);

        // At most 100,000 of the 200,000 populated keys were invalidated while held and at most 100 are left: the
        // rest were evicted (their EVICT events come from the cache's callbacks, on the thread pool).
        await Eventually.TrueAsync(() => host.Cache.GetStats().Evictions >= 200_000 - 100_000 - Capacity, "capacity was enforced by eviction");
    }
}
