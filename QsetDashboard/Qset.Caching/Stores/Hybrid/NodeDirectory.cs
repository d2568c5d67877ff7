using System.Text.Json;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;
using Qset.Caching.Redis;
using StackExchange.Redis;

namespace Qset.Caching.Hybrid;

/// <summary>
/// Which nodes share the cache and how many keys each holds in its L1. A Hybrid node writes a heartbeat with its L1
/// count to Redis every second (expiring after five, so a stopped node disappears); the dashboard reads them all.
/// A heartbeat carries a count, never the keys: its size does not grow with the cache.
/// </summary>
internal sealed class NodeDirectory(
    HybridCacheStore hybrid,
    RedisConnection connection,
    IOptions<CacheOptions> options,
    TimeProvider timeProvider) : BackgroundService, ICacheNodes
{
    private static readonly TimeSpan s_beat = TimeSpan.FromSeconds(1);
    private static readonly TimeSpan s_expiry = TimeSpan.FromSeconds(5);

    /// <summary>The nodes seen now, this one first.</summary>
    public async Task<IReadOnlyList<CacheNode>> GetNodesAsync(CancellationToken cancellationToken = default)
    {
        var self = options.Value.NodeId;
        var own = new CacheNode(self, timeProvider.GetUtcNow(), hybrid.Count, IsSelf: true);
        if (connection.Database is not { } database)
        {
            return [own];
        }

        try
        {
            List<CacheNode> nodes = [own];
            var beats = (RedisResult[])(await database.ScriptEvaluateAsync(
                RedisScripts.Nodes, [NodesKey], [$"{connection.Prefix}node:"]).ConfigureAwait(false))!;
            foreach (var beat in beats)
            {
                if ((string?)beat is { } payload
                    && JsonSerializer.Deserialize(payload, CacheNodeJsonContext.Default.CacheNode) is { } node
                    && node.NodeId != self)
                {
                    nodes.Add(node with { IsSelf = false });
                }
            }

            return nodes;
        }
        catch (Exception ex) when (RedisConnection.IsOutage(ex) || ex is JsonException)
        {
            return [own];
        }
    }

    /// <summary>The nodes holding <paramref name="key"/> in their L1, asked over the invalidation channel.</summary>
    public Task<IReadOnlyList<string>> HoldersAsync(string key, CancellationToken cancellationToken = default) =>
        hybrid.NodesHoldingAsync(key, cancellationToken);

    /// <inheritdoc />
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(s_beat, timeProvider);
        do
        {
            await BeatAsync(stoppingToken);
        }
        while (await timer.WaitForNextTickAsync(stoppingToken));
    }

    /// <summary>The set of the ids of the nodes that beat: read instead of a SCAN for their presence keys.</summary>
    private RedisKey NodesKey => $"{connection.Prefix}nodes";

    private async Task BeatAsync(CancellationToken cancellationToken)
    {
        if (connection.Database is not { } database)
        {
            return;
        }

        try
        {
            var node = new CacheNode(options.Value.NodeId, timeProvider.GetUtcNow(), hybrid.Count, IsSelf: false);
            await database.ScriptEvaluateAsync(
                RedisScripts.Beat,
                [$"{connection.Prefix}node:{node.NodeId}", NodesKey],
                [JsonSerializer.Serialize(node, CacheNodeJsonContext.Default.CacheNode), (long)s_expiry.TotalMilliseconds, node.NodeId]);
        }
        catch (Exception ex) when (RedisConnection.IsOutage(ex))
        {
            connection.ReportFailure(ex);
        }
    }
}

[System.Text.Json.Serialization.JsonSerializable(typeof(CacheNode))]
internal sealed partial class CacheNodeJsonContext : System.Text.Json.Serialization.JsonSerializerContext;
