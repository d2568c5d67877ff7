using Qset.Caching.Hybrid;

namespace Qset.Caching;

/// <summary>
/// The points where a distributed store's background work can be held, counted or timed otherwise: between the two
/// levels of an invalidation, before a reclaim call, before a message from another node is applied. The engine runs
/// with <see cref="ProductionSeams"/>; a test registers its own implementation before <c>AddQsetCache</c>.
/// </summary>
internal interface IStoreSeams
{
    /// <summary>Awaited on a Hybrid node between the L2 and the L1 step of a key's invalidation.</summary>
    Task BetweenLevelsAsync(string key);

    /// <summary>Awaited before each Redis call that reclaims a chunk of an old flush epoch.</summary>
    Task BeforeReclaimChunkAsync();

    /// <summary>Told when this node starts a Redis housekeeping run.</summary>
    void HousekeepingStarted();

    /// <summary>Called on a Hybrid node before it applies a message another node sent.</summary>
    void BeforeApply(NodeMessage message);

    /// <summary>How many subscribers a publish reached, as the channel is to count them (<paramref name="counted"/>: what Redis said).</summary>
    long ReceiversSeen(long counted);

    /// <summary>How long after a housekeeping run began a count's request for another starts none.</summary>
    TimeSpan HousekeepingAskedEvery { get; }

    /// <summary>How long a node holds the reclaim of old epochs after its last call.</summary>
    TimeSpan ReclaimLease { get; }

    /// <summary>How often a connected node reads again whether the Redis server can be used.</summary>
    TimeSpan FitRecheckInterval { get; }
}

/// <summary>The seams as production runs them: nothing held, nothing bent, the engine's own intervals.</summary>
internal sealed class ProductionSeams : IStoreSeams
{
    public static readonly ProductionSeams Instance = new();

    public TimeSpan HousekeepingAskedEvery => TimeSpan.FromSeconds(1);

    public TimeSpan ReclaimLease => TimeSpan.FromSeconds(5);

    public TimeSpan FitRecheckInterval => TimeSpan.FromMinutes(1);

    public Task BetweenLevelsAsync(string key) => Task.CompletedTask;

    public Task BeforeReclaimChunkAsync() => Task.CompletedTask;

    public void HousekeepingStarted()
    {
    }

    public void BeforeApply(NodeMessage message)
    {
    }

    public long ReceiversSeen(long counted) => counted;
}
