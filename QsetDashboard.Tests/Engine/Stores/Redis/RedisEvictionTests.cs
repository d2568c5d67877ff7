using Qset.Caching;
using QsetDashboard.Tests.Infrastructure;
using QsetDashboard.Tests.Redis;
using StackExchange.Redis;

namespace QsetDashboard.Tests.Engine.Stores.Redis;

/// <summary>A Redis of its own, short of memory, evicting under <c>maxmemory</c>: what it evicts leaves our indexes too.</summary>
/// <remarks>In the Redis collection, though it has a server of its own: its burst of writes then never runs beside the
/// other Redis tests, whose 5-second command timeout a loaded 2-core machine could otherwise reach.</remarks>
[Collection(RedisCollection.Name)]
public sealed class RedisEvictionTests : IAsyncLifetime
{
    private readonly RedisServer _redis = new();

    public Task InitializeAsync() => _redis.InitializeAsync();

    public Task DisposeAsync() => _redis.DisposeAsync();

    [Fact]
    public async Task KeysRedisEvicts_LeaveEveryIndex_AsRedisAnnouncesThem_SoTheCountIsWhatRedisHolds()
    {
        const string prefix = "ev:";
        await using var admin = await ConnectionMultiplexer.ConnectAsync($"{_redis.ConnectionString},allowAdmin=true");
        var server = admin.GetServer(admin.GetEndPoints()[0]);
        await using var host = await EngineOnlyHost.StartAsync(s =>
        {
            RedisCollection.Configure(s, _redis, "Redis", prefix, "Qset");
            s["Qset:DefaultTtl"] = "01:00:00";
        });
        var store = host.Cache.Store;

        // Room for a few thousand entries beyond what the server uses now; only keys with a TTL (entries) are evicted.
        var used = long.Parse(
            (await server.InfoAsync("memory")).SelectMany(g => g).Single(p => p.Key == "used_memory").Value,
            System.Globalization.CultureInfo.InvariantCulture);
        await server.ConfigSetAsync("maxmemory-policy", "volatile-lru");
        await server.ConfigSetAsync("maxmemory", (used + (2 << 20)).ToString(System.Globalization.CultureInfo.InvariantCulture));

        const int Populated = 10_000;
        var expires = DateTimeOffset.UtcNow.AddHours(1);
        for (var id = 1; id <= Populated; id++)
        {
            await store.PopulateAsync(StoreEntries.Book(id, new string('t', 300), expires));
        }

        var database = admin.GetDatabase();
        var epoch = (long)await database.StringGetAsync($"{prefix}epoch");
        async Task<long> HeldAsync()
        {
            long held = 0;
            await foreach (var _ in server.KeysAsync(pattern: $"{prefix}e:*", pageSize: 1_000))
            {
                held++;
            }

            return held;
        }

        Assert.InRange(await HeldAsync(), 1, Populated - 1);
        await Eventually.TrueAsync(
            async () => await database.SortedSetLengthAsync($"{prefix}i:{epoch}:live") == await HeldAsync()
                && await database.SortedSetLengthAsync($"{prefix}i:{epoch}:size") == await HeldAsync()
                && await database.SortedSetLengthAsync($"{prefix}i:{epoch}:z:Book") == await HeldAsync(),
            "every index holds exactly the entries Redis still holds");
        Assert.Contains(host.Events(), e => e.Kind == CacheEventKind.Evict && e.Source == "redis");
    }
}
