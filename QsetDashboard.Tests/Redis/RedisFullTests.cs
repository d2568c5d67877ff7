using Qset.Caching;
using Qset.Caching.Redis;
using QsetDashboard.Data;
using QsetDashboard.Tests.Infrastructure;
using StackExchange.Redis;

namespace QsetDashboard.Tests.Redis;

/// <summary>
/// A Redis of its own that is full: <c>maxmemory</c> reached under <c>noeviction</c> (a self-hosted Redis's default
/// policy), so it refuses every write. Reads it still answers; a populate it refuses is only not cached, and an
/// invalidation it refuses makes the node read the database until it can be replayed, with one recovery however many
/// reads arrive meanwhile.
/// </summary>
/// <remarks>In the Redis collection, though it has a server of its own, as <see cref="RedisEvictionTests"/>.</remarks>
[Collection(RedisCollection.Name)]
public sealed class RedisFullTests : IAsyncLifetime
{
    private readonly RedisServer _redis = new();
    private ConnectionMultiplexer? _admin;

    public async Task InitializeAsync()
    {
        await _redis.InitializeAsync();
        _admin = await ConnectionMultiplexer.ConnectAsync($"{_redis.ConnectionString},allowAdmin=true");
    }

    public async Task DisposeAsync()
    {
        if (_admin is not null)
        {
            await _admin.DisposeAsync();
        }

        await _redis.DisposeAsync();
    }

    private IServer Server => _admin!.GetServer(_admin.GetEndPoints()[0]);

    // A byte of memory: every write Redis would check (SET, INCR, ZADD) is refused, every read answered.
    private async Task FillAsync()
    {
        await Server.ConfigSetAsync("maxmemory-policy", "noeviction");
        await Server.ConfigSetAsync("maxmemory", "1");
    }

    private Task FreeAsync() => Server.ConfigSetAsync("maxmemory", "0");

    private Task<EngineHost> StartAsync(string backend = "Redis") => EngineHost.StartAsync(s => RedisCollection.Configure(s, _redis, backend));

    [Theory]
    [InlineData("Redis")]
    [InlineData("Hybrid")]
    public async Task APopulateRedisRefusesForWantOfMemory_IsOnlyNotCached_TheNodeIsNotDegraded_AndWhatItHoldsIsStillServed(string backend)
    {
        // Hybrid: what L2 refuses, L1 does not take either (no node holds a value the shared level does not).
        await using var host = await StartAsync(backend);
        await host.Generic.SetAsync(1, new User { Name = "Alice" });
        await host.Generic.SetAsync(2, new User { Name = "Bob" });
        await host.Generic.GetAsync<User>(1);
        await FillAsync();

        var bob = await host.Generic.ReadAsync<User>(2);
        var alice = await host.Generic.ReadAsync<User>(1);

        Assert.Equal(("Bob", false), (bob.Value?.Name, bob.Hit));
        Assert.Equal(("Alice", true), (alice.Value?.Name, alice.Hit));
        var reject = Assert.Single(host.Events(), e => e.Kind == CacheEventKind.Reject);
        Assert.Equal("User.2", reject.Key);
        Assert.Contains("Redis is full", reject.Detail, StringComparison.Ordinal);
        Assert.DoesNotContain(host.Events(), e => e.Kind == CacheEventKind.Degraded);
        Assert.False(((IReportsHealth)host.Cache.Store).IsDegraded, $"a full Redis is no outage; events:\n   {host.DumpEvents()}");
        Assert.Null(await host.Cache.Store.PeekAsync("User.2"));
    }

    [Fact]
    public async Task AnInvalidationRedisRefuses_IsReplayedByOneRecovery_HoweverManyReadsArriveMeanwhile_AndNoReadIsStale()
    {
        await using var host = await StartAsync();
        await host.Generic.SetAsync(1, new User { Name = "Alice" });
        await host.Generic.GetAsync<User>(1);
        await FillAsync();

        // The invalidation cannot be written: the node keeps it, and reads the database until it is replayed.
        await host.Generic.SetAsync(1, new User { Name = "Jane" });
        for (var i = 0; i < 50; i++)
        {
            var read = await host.Generic.ReadAsync<User>(1);
            Assert.Equal(("Jane", false), (read.Value?.Name, read.Hit));
        }

        var connection = host.Get<RedisConnection>();
        Assert.True(connection.Recovering, "one recovery is under way (trying again) while Redis is full");
        await FreeAsync();
        await Eventually.TrueAsync(() => !connection.Recovering, "the recovery finishes once Redis takes writes again");

        // Recovered once: no second recovery can start without a new failure, so the count is final.
        Assert.True(
            host.Events().Count(e => e.Kind == CacheEventKind.Recovered) == 1,
            $"one recovery for one outage; events:\n   {host.DumpEvents()}");
        Assert.Single(host.Events(), e => e.Kind == CacheEventKind.Degraded);
        Assert.Equal("Jane", (await host.Generic.GetAsync<User>(1))!.Name);
        var again = await host.Generic.ReadAsync<User>(1);
        Assert.Equal(("Jane", true), (again.Value?.Name, again.Hit));
    }
}
