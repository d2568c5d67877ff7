using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Qset.Caching.Queries;
using Qset.Caching.Redis;

namespace Qset.Caching.Hybrid;

/// <summary>
/// A memory L1 on each node over the shared Redis L2. Reads try L1, then L2 (copying into L1), then the database.
/// Every invalidation is applied to both levels and sent to the other nodes over an <see cref="InvalidationChannel"/>;
/// the write returns once each of them has dropped its L1 copy (or has stopped serving its L1 for want of a lease),
/// so no node serves a value older than an acknowledged write. While Redis is down, L1 is bypassed: this node could
/// not hear other nodes' invalidations, so it reads the database; its recovery clears L1 before caching resumes.
/// </summary>
/// <remarks>
/// Query results (<c>.Cacheable()</c>, keys <c>Query.*</c>) live in L1 only: they depend on per-table versions, which
/// each node keeps in memory. Every committed write's table bump is broadcast, so every node's results of that table
/// go stale at once; keeping them out of L2 means no node can serve a result checked against another node's versions.
/// </remarks>
internal sealed partial class HybridCacheStore : ICacheStore, ICacheBrowser, IReportsHealth, ISharedTableGenerations, IConfirmsInvalidations, IDisposable
{
    private const string KeyMessage = "k";
    private const string TableMessage = "t";
    private const string FlushTarget = "*";
    private const string BarrierMessage = "b";
    private const string HoldsQuestion = "w";
    private const string TypeMessage = "y";
    private static readonly TimeSpan s_askWait = TimeSpan.FromMilliseconds(300);

    private readonly MemoryCacheStore _near;
    private readonly RedisCacheStore _far;
    private readonly RedisConnection _connection;
    private readonly CacheRecorder _recorder;
    private readonly TableVersions _versions;
    private readonly InvalidationChannel _channel;
    private readonly IStoreSeams _seams;

    /// <summary>Creates the store and subscribes to the invalidation channel.</summary>
    public HybridCacheStore(
        MemoryCacheStore near,
        RedisCacheStore far,
        RedisConnection connection,
        CacheRecorder recorder,
        TableVersions versions,
        TimeProvider timeProvider,
        IStoreSeams seams,
        IOptions<CacheOptions> options,
        ILogger<HybridCacheStore> logger)
    {
        ArgumentNullException.ThrowIfNull(options);
        _near = near;
        _far = far;
        _connection = connection;
        _recorder = recorder;
        _versions = versions;
        _seams = seams;

        _channel = new InvalidationChannel(connection, timeProvider, options.Value.L1Lease, seams, logger, Apply,
            _ => ClearNear("a message on the invalidation channel could not be applied"));
        _connection.AddRecoveryStep(RecoverNearAsync);
        _ = _channel.StartAsync();
    }

    /// <summary>True while this node may serve its L1: it hears the channel and is not behind on it.</summary>
    public bool HoldsLease => _channel.HoldsLease;

    /// <inheritdoc />
    public string Name => "Hybrid";

    /// <summary>This node's id.</summary>
    public string NodeId => _connection.NodeId;

    /// <inheritdoc />
    public int Capacity => _near.Capacity;

    /// <inheritdoc />
    /// <remarks>This node's L1.</remarks>
    public int Count => _near.Count;

    /// <inheritdoc />
    public bool IsDegraded => _connection.IsDegraded;

    /// <inheritdoc />
    public string HealthDescription => _connection.Misconfiguration is { } misconfiguration
        ? $"Node {NodeId}: {misconfiguration}. L1 bypassed, reads go to the database."
        : IsDegraded
            ? $"Node {NodeId}: Redis is not answering; L1 bypassed, reads go to the database."
            : $"Node {NodeId}: L1 {Count}/{Capacity} entries over Redis.";

    /// <inheritdoc />
    public async ValueTask<CacheEntry?> GetAsync(string key, CancellationToken cancellationToken = default) =>
        (await ReadLevelsAsync(key, takeTicket: false, cancellationToken).ConfigureAwait(false)).Entry;

    /// <inheritdoc />
    /// <remarks>
    /// As <see cref="GetAsync"/>, but the L2 read also takes L2's ticket (one round trip): on a miss of both levels,
    /// the ticket is that with this node's L1 stamp, taken before the L2 read, as <see cref="BeginPopulateAsync"/> takes it.
    /// </remarks>
    public ValueTask<(CacheEntry? Entry, PopulateTicket? Ticket)> GetForPopulateAsync(string key, CancellationToken cancellationToken = default) =>
        ReadLevelsAsync(key, takeTicket: true, cancellationToken);

    private async ValueTask<(CacheEntry? Entry, PopulateTicket? Ticket)> ReadLevelsAsync(string key, bool takeTicket, CancellationToken cancellationToken)
    {
        if (_connection.IsDegraded)
        {
            return (null, null);
        }

        // Without a lease this node may be behind on other nodes' invalidations: its L1 waits, L2 answers.
        if (_channel.HoldsLease && await _near.GetAsync(key, cancellationToken).ConfigureAwait(false) is { } near)
        {
            return (near, null);
        }

        if (IsNearOnly(key))
        {
            return (null, null);
        }

        var nearTicket = await _near.BeginPopulateAsync(key, cancellationToken).ConfigureAwait(false);
        var (far, farTicket) = takeTicket
            ? await _far.GetForPopulateAsync(key, cancellationToken).ConfigureAwait(false)
            : (await _far.GetAsync(key, cancellationToken).ConfigureAwait(false), null);
        if (far is null)
        {
            return (null, farTicket is { } ticket ? ticket with { NearStamp = nearTicket.Stamp } : null);
        }

        // Guarded like a database read: an invalidation broadcast while L2 was being read wins.
        await _near.TryPopulateAsync(far, nearTicket, cancellationToken).ConfigureAwait(false);
        return (far, null);
    }

    /// <inheritdoc />
    public async ValueTask<PopulateTicket> BeginPopulateAsync(string key, CancellationToken cancellationToken = default)
    {
        var near = await _near.BeginPopulateAsync(key, cancellationToken).ConfigureAwait(false);
        if (IsNearOnly(key))
        {
            return _connection.IsDegraded ? new PopulateTicket(key, -1) : near with { NearStamp = near.Stamp };
        }

        var far = await _far.BeginPopulateAsync(key, cancellationToken).ConfigureAwait(false);
        return far with { NearStamp = near.Stamp };
    }

    /// <inheritdoc />
    public async ValueTask<PopulateResult> TryPopulateAsync(CacheEntry entry, PopulateTicket ticket, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(entry);
        if (IsNearOnly(entry.Key))
        {
            return ticket.Stamp < 0 || _connection.IsDegraded
                ? PopulateResult.Rejected("Redis unavailable: read from the database, not cached")
                : await _near.TryPopulateAsync(entry, ticket with { Stamp = ticket.NearStamp }, cancellationToken).ConfigureAwait(false);
        }

        var far = await _far.TryPopulateAsync(entry, ticket, cancellationToken).ConfigureAwait(false);
        if (!far.Stored)
        {
            return far;
        }

        return await _near.TryPopulateAsync(entry, ticket with { Stamp = ticket.NearStamp }, cancellationToken).ConfigureAwait(false);
    }

    /// <inheritdoc />
    public ValueTask BumpBulkWriteAsync(string table, CancellationToken cancellationToken = default) =>
        _far.BumpBulkWriteAsync(table, cancellationToken);

    /// <inheritdoc />
    /// <remarks>
    /// Not confirmed on its own: the write's key messages, later on the same ordered channel, are, and confirm it too.
    /// </remarks>
    public void AnnounceTableWrite(string table, bool bulk) =>
        _ = _channel.PublishAsync(TableMessage, $"{table}\n{(bulk ? 1 : 0)}", confirm: false);

    /// <inheritdoc />
    /// <remarks>
    /// L2 first, then L1: a read that misses L1 after the L1 drop then finds L2 already empty. The other order let a
    /// reader copy the old L2 value into L1 between the two, where it stayed; a copy that began before the L1 drop is
    /// refused by the L1 stamp, as a database read is.
    /// </remarks>
    public async ValueTask<bool> InvalidateAsync(string key, CancellationToken cancellationToken = default)
    {
        var far = !IsNearOnly(key) && await _far.InvalidateAsync(key, cancellationToken).ConfigureAwait(false);
        await _seams.BetweenLevelsAsync(key).ConfigureAwait(false);

        var near = await _near.InvalidateAsync(key, cancellationToken).ConfigureAwait(false);
        await _channel.PublishAsync(KeyMessage, key, confirm: true).ConfigureAwait(false);
        return near || far;
    }

    /// <inheritdoc />
    /// <remarks>
    /// L2 first (a thousand keys per Redis call), then L1, for the reason <see cref="InvalidateAsync"/> gives; then one
    /// message, which every node applies to its own L1 before the write returns, instead of one per key.
    /// </remarks>
    public async ValueTask<IReadOnlyList<string>> InvalidateTypeAsync(string entityType, CancellationToken cancellationToken = default)
    {
        var far = await _far.InvalidateTypeAsync(entityType, cancellationToken).ConfigureAwait(false);
        var near = await _near.InvalidateTypeAsync(entityType, cancellationToken).ConfigureAwait(false);
        await _channel.PublishAsync(TypeMessage, entityType, confirm: true).ConfigureAwait(false);
        return [.. far.Union(near, StringComparer.Ordinal)];
    }

    /// <inheritdoc />
    /// <remarks>
    /// L2 first, then L1, for the reason <see cref="InvalidateAsync"/> gives. Names each entry when L2 named its own
    /// (a hundred or fewer); past that counts L2's and this node's query results (which live in L1 only).
    /// </remarks>
    public async ValueTask<CacheClear> ClearAsync(CancellationToken cancellationToken = default)
    {
        var far = await _far.ClearAsync(cancellationToken).ConfigureAwait(false);
        var queries = NearOnlyCount;
        var near = await _near.ClearAsync(cancellationToken).ConfigureAwait(false);
        await _channel.PublishAsync(KeyMessage, FlushTarget, confirm: true).ConfigureAwait(false);
        if (far.Named && near.Named)
        {
            List<RemovedEntry> all = [.. near.Entries.Concat(far.Entries).DistinctBy(e => e.Key, StringComparer.Ordinal)];
            return new CacheClear(all.Count, all);
        }

        return new CacheClear(far.Count + queries, []);
    }

    /// <inheritdoc />
    /// <remarks>The shared L2's keys of the type, and this node's L1-only ones (query results).</remarks>
    public async ValueTask<IReadOnlyList<string>> KeysOfTypeAsync(string entityType, CancellationToken cancellationToken = default)
    {
        var far = await _far.KeysOfTypeAsync(entityType, cancellationToken).ConfigureAwait(false);
        var near = await _near.KeysOfTypeAsync(entityType, cancellationToken).ConfigureAwait(false);
        return [.. far.Union(near.Where(IsNearOnly), StringComparer.Ordinal)];
    }

    private static bool IsNearOnly(string key) => key.StartsWith(QueryKeys.Prefix, StringComparison.Ordinal);

    /// <inheritdoc />
    public void Dispose() => _channel.Dispose();

    /// <inheritdoc />
    /// <remarks>A confirmed message after the write's table bumps: the channel is ordered, so it confirms them too.</remarks>
    public async ValueTask ConfirmInvalidationsAsync(CancellationToken cancellationToken = default) =>
        await _channel.PublishAsync(BarrierMessage, string.Empty, confirm: true).ConfigureAwait(false);

    /// <summary>
    /// The nodes holding <paramref name="key"/> in their L1, this one included, asked on demand (each node answers for
    /// itself, with a side-effect-free peek); a node that does not answer within 300 ms is left out.
    /// </summary>
    public async Task<IReadOnlyList<string>> NodesHoldingAsync(string key, CancellationToken cancellationToken = default)
    {
        var others = _connection.IsDegraded
            ? new Dictionary<string, string>()
            : await _channel.AskAsync(HoldsQuestion, key, s_askWait).ConfigureAwait(false);
        var self = await _near.PeekAsync(key, cancellationToken).ConfigureAwait(false) is not null ? [NodeId] : Array.Empty<string>();
        return [.. self.Concat(others.Where(a => a.Value == "1").Select(a => a.Key).Order(StringComparer.Ordinal))];
    }

    /// <summary>Applies another node's message and answers it when it asks; the channel acknowledges it once this returns.</summary>
    private string? Apply(NodeMessage message)
    {
        if (message.Kind == HoldsQuestion)
        {
            return _near.Peek(message.Body) is not null ? "1" : "0";
        }

        if (message.Kind == TableMessage && message.Body.Split('\n') is [var table, var bulk])
        {
            // This node's query results of the table are now stale by version, and its L1 by-id copies too after a bulk write.
            _versions.ApplyRemote(table, bulk: bulk == "1");
        }
        else if (message.Kind == KeyMessage && message.Body == FlushTarget)
        {
            ClearNear($"flush broadcast by node {message.Node}");
        }
        else if (message.Kind == TypeMessage)
        {
            var dropped = _near.InvalidateType(message.Body);
            _recorder.RecordEach(CacheEventKind.Invalidate, dropped, message.Body,
                detail: $"L1 copy dropped: its table was bulk-written by node {message.Node}",
                summary: $"{dropped.Count} L1 copies of {message.Body} dropped: its table was bulk-written by node {message.Node}",
                source: "sync");
        }
        else if (message.Kind == KeyMessage)
        {
            // The memory store completes at once, so the copy is gone before the acknowledgement is sent.
            var dropped = _near.Invalidate(message.Body);
            _recorder.Record(CacheEventKind.Invalidate, message.Body, null,
                detail: dropped ? $"L1 copy dropped: invalidated by node {message.Node}" : $"invalidated by node {message.Node}",
                source: "sync", count: dropped ? 1 : 0);
        }

        return null;
    }

    /// <summary>
    /// Part of every recovery, before reads resume: this node may have missed other nodes' invalidations while it
    /// could not hear them, so it subscribes again, makes sure it hears the channel, and drops its whole L1.
    /// </summary>
    private async Task RecoverNearAsync()
    {
        // Proves this node hears the channel again (and has applied all that came before its own fresh heartbeat).
        await _channel.ResynchronizeAsync().ConfigureAwait(false);
        ClearNear("Redis reconnected: this node may have missed invalidations");

        // The other nodes may hold L1 copies that this node's writes during the outage made stale (their
        // invalidations were only deferred here): they drop their L1 too, before this node's reads resume.
        await _channel.PublishAsync(KeyMessage, FlushTarget, confirm: true).ConfigureAwait(false);
    }

    private void ClearNear(string reason)
    {
        var cleared = _near.Clear();
        if (cleared.Count > CacheRecorder.OneByOne || !cleared.Named)
        {
            _recorder.RecordSummary(CacheEventKind.Invalidate, cleared.Count, $"{cleared.Count} L1 copies dropped: {reason}", source: "sync");
            return;
        }

        foreach (var entry in cleared.Entries)
        {
            _recorder.Record(CacheEventKind.Invalidate, entry.Key, entry.EntityType, detail: $"{CacheRecorder.L1ClearDetail}{reason}", source: "sync");
        }
    }
}
