using BenchmarkDotNet.Attributes;
using Qset.Caching;
using StackExchange.Redis;

namespace QsetDashboard.Benchmarks;

/// <summary>
/// How long after an invalidation on node A the other Hybrid node has dropped its L1 copy and recorded it (its
/// journal's subscribers see the <c>sync</c> INVALIDATE), against the floor: a raw Redis PUBLISH heard by a
/// subscriber on another connection. This is the latency the unit tests used to time; here it is measured.
/// </summary>
[BenchmarkCategory("redis")]
public class L1SyncBenchmarks
{
    private const string Key = "User.1";

    private LocalRedis _server = null!;
    private ConnectionMultiplexer _publisher = null!;
    private ConnectionMultiplexer _listener = null!;
    private RedisChannel _channel;
    private BenchmarkEngine _nodeA = null!;
    private BenchmarkEngine _nodeB = null!;
    private IDisposable _journalSubscription = null!;
    private TaskCompletionSource _heard = NewSignal();

    [GlobalSetup]
    public void Setup()
    {
        _server = LocalRedis.Start();
        _publisher = _server.Connect();
        _listener = _server.Connect();
        _channel = RedisChannel.Literal("bench-sync");
        _listener.GetSubscriber().Subscribe(_channel, (_, _) => _heard.TrySetResult());

        _nodeA = BenchmarkEngine.Start(Settings("node-a"));
        _nodeB = BenchmarkEngine.Start(Settings("node-b"));
        _journalSubscription = _nodeB.Cache.Journal.Subscribe(events =>
        {
            foreach (var e in events)
            {
                if (e.Source == "sync" && e.Key == Key)
                {
                    _heard.TrySetResult();
                }
            }
        });

        // Each node subscribes in the background at start: wait until a broadcast really arrives before measuring.
        if (!NodeAInvalidatesAsync().Wait(TimeSpan.FromSeconds(10)))
        {
            throw new InvalidOperationException("Node B never heard node A's broadcast.");
        }
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _journalSubscription.Dispose();
        _nodeA.DisposeAsync().AsTask().GetAwaiter().GetResult();
        _nodeB.DisposeAsync().AsTask().GetAwaiter().GetResult();
        _publisher.Dispose();
        _listener.Dispose();
        _server.Dispose();
    }

    [Benchmark(Baseline = true, Description = "Raw PUBLISH heard by a subscriber")]
    public async Task RawPublish()
    {
        _heard = NewSignal();
        await _publisher.GetSubscriber().PublishAsync(_channel, "x");
        await _heard.Task;
    }

    [Benchmark(Description = "Hybrid invalidate on node A, L1 drop recorded on node B")]
    public Task HybridL1Drop() => NodeAInvalidatesAsync();

    private async Task NodeAInvalidatesAsync()
    {
        _heard = NewSignal();
        await _nodeA.Cache.InvalidateAsync(Key, "User");
        await _heard.Task;
    }

    private static TaskCompletionSource NewSignal() => new(TaskCreationOptions.RunContinuationsAsynchronously);

    private Dictionary<string, string?> Settings(string node) => new()
    {
        ["Cache:Backend"] = "Hybrid",
        ["Cache:Redis"] = _server.Endpoint,
        ["Cache:RedisPrefix"] = "sync:",
        ["Cache:NodeId"] = node,
    };
}
