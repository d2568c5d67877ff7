using Qset.Caching;
using Qset.Caching.Hybrid;

namespace QsetDashboard.Tests.Infrastructure;

/// <summary>
/// The store seams a test holds: each step it leaves null runs as in production, each interval it leaves alone is the
/// production one. Handed to <see cref="Engine.EngineOnlyHost.StartAsync"/>, which registers it before the engine.
/// </summary>
internal sealed class TestStoreSeams : IStoreSeams
{
    private int _housekeepingRuns;

    /// <summary>Awaited on a Hybrid node between the L2 and L1 step of an invalidation.</summary>
    public Func<string, Task>? BetweenLevels { get; set; }

    /// <summary>Awaited before each call that reclaims a chunk of an old epoch.</summary>
    public Func<Task>? BeforeReclaimChunk { get; set; }

    /// <summary>Run before this node applies another node's message.</summary>
    public Action<NodeMessage>? Applying { get; set; }

    /// <summary>Rewrites how many subscribers a publish reached.</summary>
    public Func<long, long>? CountReceivers { get; set; }

    /// <summary>How many housekeeping runs this node started.</summary>
    public int HousekeepingRuns => Volatile.Read(ref _housekeepingRuns);

    public TimeSpan HousekeepingAskedEvery { get; set; } = ProductionSeams.Instance.HousekeepingAskedEvery;

    public TimeSpan ReclaimLease { get; set; } = ProductionSeams.Instance.ReclaimLease;

    public TimeSpan FitRecheckInterval { get; set; } = ProductionSeams.Instance.FitRecheckInterval;

    public Task BetweenLevelsAsync(string key) => BetweenLevels?.Invoke(key) ?? Task.CompletedTask;

    public Task BeforeReclaimChunkAsync() => BeforeReclaimChunk?.Invoke() ?? Task.CompletedTask;

    public void HousekeepingStarted() => Interlocked.Increment(ref _housekeepingRuns);

    public void BeforeApply(NodeMessage message) => Applying?.Invoke(message);

    public long ReceiversSeen(long counted) => CountReceivers?.Invoke(counted) ?? counted;
}
