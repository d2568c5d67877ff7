using Microsoft.Extensions.Caching.Hybrid;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;
using Qset.Caching;
using QsetDashboard.Tests.Infrastructure;
using QsetDashboard.Tests.Redis;

namespace QsetDashboard.Tests.Engine.HybridApi;

/// <summary>
/// <c>AddQsetHybridCache()</c>: Microsoft's HybridCache abstraction answered by the engine, held to what the
/// abstraction documents: get-or-create runs its factory once however many callers, set and remove, expiration,
/// values of any type (a struct, a null), the flags that turn cache reads and writes off, and, across Hybrid nodes, a
/// value one node set read by another.
/// </summary>
[Collection(RedisCollection.Name)]
public sealed class HybridCacheOnQsetTests(RedisServer redis)
{
    private static async Task<(EngineOnlyHost Host, HybridCache Cache)> StartAsync(Action<Dictionary<string, string?>>? configure = null, TimeProvider? time = null)
    {
        var host = await EngineOnlyHost.StartAsync(configure, time, configureServices: s => s.AddQsetHybridCache());
        return (host, host.Get<HybridCache>());
    }

    private sealed class Factory
    {
        private int _calls;

        public int Calls => Volatile.Read(ref _calls);

        public TaskCompletionSource? Gate { get; set; }

        public async ValueTask<string> CreateAsync(string value, CancellationToken cancellationToken)
        {
            Interlocked.Increment(ref _calls);
            if (Gate is { } gate)
            {
                await gate.Task.WaitAsync(cancellationToken);
            }

            return value;
        }
    }

    [Fact]
    public async Task GetOrCreate_RunsTheFactoryOnce_ThenAnswersFromTheCache_AndTheKeyIsOnTheDashboard()
    {
        var (host, cache) = await StartAsync();
        await using var _ = host;
        var factory = new Factory();

        Assert.Equal("made", await cache.GetOrCreateAsync("greeting", factory, (f, ct) => f.CreateAsync("made", ct)));
        Assert.Equal("made", await cache.GetOrCreateAsync("greeting", factory, (f, ct) => f.CreateAsync("other", ct)));

        Assert.Equal(1, factory.Calls);
        Assert.Contains(host.Events(), e => e.Kind == CacheEventKind.Hit && e.Key == "greeting");
        Assert.NotNull(await host.Browser.PeekAsync("greeting"));
    }

    [Fact]
    public async Task AHundredConcurrentCallers_RunTheFactoryOnce()
    {
        var (host, cache) = await StartAsync();
        await using var _ = host;
        var factory = new Factory { Gate = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously) };

        var calls = Enumerable.Range(0, 100).Select(_ => cache.GetOrCreateAsync("hot", factory, (f, ct) => f.CreateAsync("once", ct)).AsTask()).ToList();
        await Eventually.TrueAsync(() => factory.Calls == 1, "the first caller's factory is running");
        factory.Gate.SetResult();

        Assert.All(await Task.WhenAll(calls), v => Assert.Equal("once", v));
        Assert.Equal(1, factory.Calls);
    }

    [Fact]
    public async Task SetThenGet_ServesTheSetValue_RemoveMakesTheNextGetCreateAgain()
    {
        var (host, cache) = await StartAsync();
        await using var _ = host;
        var factory = new Factory();

        await cache.SetAsync("k", "set");
        Assert.Equal("set", await cache.GetOrCreateAsync("k", factory, (f, ct) => f.CreateAsync("created", ct)));
        Assert.Equal(0, factory.Calls);

        await cache.RemoveAsync("k");
        Assert.Equal("created", await cache.GetOrCreateAsync("k", factory, (f, ct) => f.CreateAsync("created", ct)));
        Assert.Equal(1, factory.Calls);
    }

    [Fact]
    public async Task AWriteDuringTheFactory_RefusesItsValue()
    {
        var (host, cache) = await StartAsync();
        await using var _ = host;
        var factory = new Factory { Gate = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously) };
        var creating = cache.GetOrCreateAsync("k", factory, (f, ct) => f.CreateAsync("old", ct)).AsTask();
        await Eventually.TrueAsync(() => factory.Calls == 1, "the factory is running");

        await cache.RemoveAsync("k");
        factory.Gate.SetResult();

        Assert.Equal("old", await creating);
        factory.Gate = null;
        Assert.Equal("new", await cache.GetOrCreateAsync("k", factory, (f, ct) => f.CreateAsync("new", ct)));
    }

    [Fact]
    public async Task Expiration_IsTheEntrysTimeToLive()
    {
        var time = new FakeTimeProvider(new DateTimeOffset(2026, 12, 8, 12, 0, 0, TimeSpan.Zero));
        var (host, cache) = await StartAsync(time: time);
        await using var _ = host;
        var factory = new Factory();
        var options = new HybridCacheEntryOptions { Expiration = TimeSpan.FromMinutes(1) };

        await cache.GetOrCreateAsync("k", factory, (f, ct) => f.CreateAsync("v", ct), options);
        time.Advance(TimeSpan.FromSeconds(59));
        await cache.GetOrCreateAsync("k", factory, (f, ct) => f.CreateAsync("v", ct), options);
        Assert.Equal(1, factory.Calls);

        time.Advance(TimeSpan.FromSeconds(2));
        await cache.GetOrCreateAsync("k", factory, (f, ct) => f.CreateAsync("v", ct), options);
        Assert.Equal(2, factory.Calls);
    }

    [Fact]
    public async Task AStructAndANull_AreCachedAsValues()
    {
        var (host, cache) = await StartAsync();
        await using var _ = host;
        var made = 0;

        Assert.Equal(42, await cache.GetOrCreateAsync("answer", ct => { made++; return ValueTask.FromResult(42); }));
        Assert.Equal(42, await cache.GetOrCreateAsync("answer", ct => { made++; return ValueTask.FromResult(0); }));
        Assert.Null(await cache.GetOrCreateAsync("nothing", ct => { made++; return ValueTask.FromResult<string?>(null); }));
        Assert.Null(await cache.GetOrCreateAsync("nothing", ct => { made++; return ValueTask.FromResult<string?>("late"); }));

        Assert.Equal(2, made);
    }

    [Fact]
    public async Task TheFlags_TurnCacheReadsAndWritesOff_AndDisableUnderlyingDataNeverCallsTheFactory()
    {
        var (host, cache) = await StartAsync();
        await using var _ = host;
        var factory = new Factory();
        var noRead = new HybridCacheEntryOptions { Flags = HybridCacheEntryFlags.DisableLocalCacheRead | HybridCacheEntryFlags.DisableDistributedCacheRead };
        var noWrite = new HybridCacheEntryOptions { Flags = HybridCacheEntryFlags.DisableLocalCacheWrite | HybridCacheEntryFlags.DisableDistributedCacheWrite };
        var cacheOnly = new HybridCacheEntryOptions { Flags = HybridCacheEntryFlags.DisableUnderlyingData };

        Assert.Null(await cache.GetOrCreateAsync("k", factory, (f, ct) => f.CreateAsync("never", ct), cacheOnly));
        Assert.Equal(0, factory.Calls);

        await cache.GetOrCreateAsync("k", factory, (f, ct) => f.CreateAsync("first", ct), noRead);
        await cache.GetOrCreateAsync("k", factory, (f, ct) => f.CreateAsync("second", ct), noRead);
        Assert.Equal(2, factory.Calls);
        Assert.Equal("second", await cache.GetOrCreateAsync("k", factory, (f, ct) => f.CreateAsync("third", ct), cacheOnly));

        await cache.SetAsync("w", "not stored", noWrite);
        Assert.Null(await cache.GetOrCreateAsync("w", factory, (f, ct) => f.CreateAsync("never", ct), cacheOnly));
    }

    [Fact]
    public async Task RemoveByTag_DropsTheTaggedValue_NeverLeavingItStale()
    {
        var (host, cache) = await StartAsync();
        await using var _ = host;
        var factory = new Factory();
        await cache.GetOrCreateAsync("k", factory, (f, ct) => f.CreateAsync("v1", ct), tags: ["products"]);

        await cache.RemoveByTagAsync("products");

        Assert.Equal("v2", await cache.GetOrCreateAsync("k", factory, (f, ct) => f.CreateAsync("v2", ct), tags: ["products"]));
    }

    [Fact]
    public async Task OnHybrid_AValueOneNodeSet_IsReadByAnother_WithoutItsFactory()
    {
        var prefix = $"t{Guid.NewGuid():N}:";
        var (a, onA) = await StartAsync(s => RedisCollection.Configure(s, redis, "Hybrid", prefix, section: "Qset"));
        await using var _ = a;
        var (b, onB) = await StartAsync(s => RedisCollection.Configure(s, redis, "Hybrid", prefix, section: "Qset"));
        await using var __ = b;
        var made = 0;

        await onA.SetAsync("shared", 7);
        Assert.Equal(7, await onB.GetOrCreateAsync("shared", ct => { made++; return ValueTask.FromResult(-1); }));
        Assert.Equal(0, made);

        await onB.RemoveAsync("shared");
        Assert.Equal(8, await onA.GetOrCreateAsync("shared", ct => ValueTask.FromResult(8)));
    }

    [Fact]
    public void WithoutAddQsetCache_TheRegistrationSaysWhatIsMissing()
    {
        var failure = Assert.Throws<InvalidOperationException>(() => new ServiceCollection().AddQsetHybridCache());
        Assert.Contains("call services.AddQsetCache", failure.Message, StringComparison.Ordinal);
    }
}
