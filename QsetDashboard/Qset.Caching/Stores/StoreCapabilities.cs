namespace Qset.Caching;

/// <summary>A store that can be degraded (a network store that is down) says so, for /health and the dashboard.</summary>
public interface IReportsHealth
{
    /// <summary>True while the store is not answering and reads go to the database.</summary>
    bool IsDegraded { get; }

    /// <summary>A sentence on the store's state.</summary>
    string HealthDescription { get; }
}

/// <summary>
/// An in-process store answers a read without a task, and hands back the time it checked the TTL against, so that a
/// hit costs one clock read. The engine is given one when its store has it; otherwise it reads through
/// <see cref="ICacheStore.GetAsync"/>.
/// </summary>
/// <remarks>An abstract class rather than an interface: the hit path calls it through a vtable, a few ns cheaper than an interface dispatch (docs/benchmarks.md).</remarks>
internal abstract class SynchronousStore
{
    /// <summary>The live entry under <paramref name="key"/>, or null; <paramref name="nowUtcTicks"/> is when it was judged live.</summary>
    public abstract CacheEntry? GetLive(string key, out long nowUtcTicks);
}

/// <summary>
/// A store shared by several nodes keeps each table's bulk-write generation itself, so that a write whose rows cannot
/// be named (ExecuteUpdate, ExecuteDelete, raw SQL) on one node refuses every by-id populate of that table that began
/// before it on any node; a store whose nodes keep table versions of their own (a Hybrid L1) tells them of each write.
/// </summary>
internal interface ISharedTableGenerations
{
    /// <summary>
    /// Tells the other nodes that this node's write to <paramref name="table"/> committed and moved its version here;
    /// called as the write commits, before its keys are invalidated.
    /// </summary>
    void AnnounceTableWrite(string table, bool bulk);

    /// <summary>Bumps <paramref name="table"/>'s bulk-write generation; called after commit, before the write returns.</summary>
    ValueTask BumpBulkWriteAsync(string table, CancellationToken cancellationToken = default);
}

/// <summary>
/// A store whose nodes each keep a copy (a Hybrid L1) returns from a write only once every node has applied the
/// write's invalidations; the write path calls this after it has sent them all.
/// </summary>
internal interface IConfirmsInvalidations
{
    /// <summary>Returns once every node has applied every invalidation this node sent before the call.</summary>
    ValueTask ConfirmInvalidationsAsync(CancellationToken cancellationToken = default);
}

/// <summary>
/// One database read per key across the nodes that share a store: a lease on the read of a key, taken by the node that
/// reads it; the others wait for its populate.
/// </summary>
internal interface IDistributedLoads
{
    /// <summary>How long a node waits for another's read of a key before it reads the database itself; zero when off.</summary>
    TimeSpan Wait { get; }

    /// <summary>Takes the lease on the read of <paramref name="key"/>; null when this node holds it (or none can be taken), else the holder's id.</summary>
    ValueTask<string?> TryLeadAsync(string key);

    /// <summary>True while some node holds the lease on the read of <paramref name="key"/>.</summary>
    ValueTask<bool> IsHeldAsync(string key);

    /// <summary>Ends this node's lease on the read of <paramref name="key"/>.</summary>
    ValueTask ReleaseAsync(string key);
}

/// <summary>A store of one node: every read is this node's own.</summary>
internal sealed class NoDistributedLoads : IDistributedLoads
{
    public static readonly NoDistributedLoads Instance = new();

    public TimeSpan Wait => TimeSpan.Zero;

    public ValueTask<string?> TryLeadAsync(string key) => new((string?)null);

    public ValueTask<bool> IsHeldAsync(string key) => new(false);

    public ValueTask ReleaseAsync(string key) => ValueTask.CompletedTask;
}

/// <summary>The nodes that share the cache, for the dashboard.</summary>
internal interface ICacheNodes
{
    /// <summary>The nodes seen now, this one first.</summary>
    Task<IReadOnlyList<CacheNode>> GetNodesAsync(CancellationToken cancellationToken = default);

    /// <summary>The nodes holding <paramref name="key"/>, asked now.</summary>
    Task<IReadOnlyList<string>> HoldersAsync(string key, CancellationToken cancellationToken = default);
}

/// <summary>What a store without the capability does: a store of one node keeps nothing shared and confirms at once.</summary>
internal sealed class LocalOnly : ISharedTableGenerations, IConfirmsInvalidations
{
    public static readonly LocalOnly Instance = new();

    public void AnnounceTableWrite(string table, bool bulk)
    {
    }

    public ValueTask BumpBulkWriteAsync(string table, CancellationToken cancellationToken = default) => ValueTask.CompletedTask;

    public ValueTask ConfirmInvalidationsAsync(CancellationToken cancellationToken = default) => ValueTask.CompletedTask;
}

/// <summary>A store that is never degraded: healthy while it answers, with its fill as the description.</summary>
internal sealed class AlwaysHealthy(ICacheStore store) : IReportsHealth
{
    public bool IsDegraded => false;

    public string HealthDescription => $"{store.Count}/{store.Capacity} entries.";
}

/// <summary>
/// One node: this one. <paramref name="holdsLocally"/> says whether the store's values live in this process (the
/// memory store), so that this node holds a key it peeks; a store that only lives on a server holds nothing on any node.
/// </summary>
internal sealed class ThisNodeOnly(ICacheStore store, ICacheBrowser browser, bool holdsLocally, string nodeId, TimeProvider timeProvider) : ICacheNodes
{
    public Task<IReadOnlyList<CacheNode>> GetNodesAsync(CancellationToken cancellationToken = default) =>
        Task.FromResult<IReadOnlyList<CacheNode>>([new CacheNode(nodeId, timeProvider.GetUtcNow(), holdsLocally ? store.Count : 0, IsSelf: true)]);

    public async Task<IReadOnlyList<string>> HoldersAsync(string key, CancellationToken cancellationToken = default) =>
        holdsLocally && await browser.PeekAsync(key, cancellationToken).ConfigureAwait(false) is not null ? [nodeId] : [];
}
