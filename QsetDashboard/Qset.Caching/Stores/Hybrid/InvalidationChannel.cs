using System.Collections.Concurrent;
using System.Globalization;
using Microsoft.Extensions.Logging;
using Qset.Caching.Redis;
using StackExchange.Redis;

namespace Qset.Caching.Hybrid;

/// <summary>A message another Hybrid node sent: its <paramref name="Kind"/>, the sender, and what it is about.</summary>
internal readonly record struct NodeMessage(string Kind, string Node, string Body);

/// <summary>
/// How Hybrid nodes tell each other what to drop from their L1, so that an acknowledged write is never followed by an
/// old L1 value on any node, without synchronised clocks: confirmed messages, and a lease renewed by a node's own
/// heartbeat. The rules and why they hold: docs/backends.md, "Why no node serves a stale L1 copy".
/// </summary>
internal sealed partial class InvalidationChannel : IDisposable
{
    private const char Separator = '\n';
    private const string HeartbeatKind = "h";

    private readonly RedisConnection _connection;
    private readonly TimeProvider _timeProvider;
    private readonly ILogger _logger;
    private readonly Func<NodeMessage, string?> _apply;
    private readonly Action<Exception> _onApplyFailed;
    private readonly IStoreSeams _seams;
    private readonly RedisChannel _channel;
    private readonly RedisChannel _acks;
    private readonly string _self;
    private readonly ConcurrentDictionary<long, PendingAcks> _pending = new();

    // Every other node heard on the channel (its heartbeats), with when it was last heard (this node's timestamps).
    private readonly ConcurrentDictionary<string, long> _heard = new(StringComparer.Ordinal);
    private readonly ITimer _heartbeat;
    private readonly SemaphoreSlim _subscribing = new(1, 1);
    private ChannelMessageQueue? _messages;
    private ChannelMessageQueue? _ackMessages;
    private long _sequence;
    private long _leaseUntil;
    private long _unreachableSince;

    public InvalidationChannel(
        RedisConnection connection,
        TimeProvider timeProvider,
        TimeSpan lease,
        IStoreSeams seams,
        ILogger logger,
        Func<NodeMessage, string?> apply,
        Action<Exception> onApplyFailed)
    {
        _connection = connection;
        _seams = seams;
        _timeProvider = timeProvider;
        _logger = logger;
        _apply = apply;
        _onApplyFailed = onApplyFailed;
        Lease = lease;

        // The node id and an incarnation of this process: two processes given one node id still count as two.
        _self = $"{connection.NodeId}/{Guid.NewGuid():N}";
        _channel = Channel(connection, "invalidations");
        _acks = Channel(connection, $"acks:{_self}");
        var beat = lease / 4;
        _heartbeat = timeProvider.CreateTimer(_ => _ = PublishHeartbeatAsync(), null, beat, beat);
    }

    /// <summary>How long a heard heartbeat lets this node serve its L1, and the longest a sender waits for a silent node.</summary>
    public TimeSpan Lease { get; }

    /// <summary>True while this node has heard its own heartbeat recently enough to trust that it is not behind.</summary>
    public bool HoldsLease => _timeProvider.GetTimestamp() < Volatile.Read(ref _leaseUntil);

    /// <summary>Subscribes (once; again after a failure) to the channel and to this node's ack channel, in order.</summary>
    public async Task StartAsync()
    {
        await _subscribing.WaitAsync().ConfigureAwait(false);
        try
        {
            if (_messages is null)
            {
                var messages = await _connection.Subscriber.SubscribeAsync(_channel).ConfigureAwait(false);
                messages.OnMessage(message => OnMessage(message.Message));
                _messages = messages;
            }

            if (_ackMessages is null)
            {
                var acks = await _connection.Subscriber.SubscribeAsync(_acks).ConfigureAwait(false);
                acks.OnMessage(message => OnAck(message.Message));
                _ackMessages = acks;
            }
        }
        catch (Exception ex) when (RedisConnection.IsOutage(ex))
        {
            // What did subscribe stays subscribed; the recovery that ends this outage completes the rest.
            _connection.ReportFailure(ex);
            return;
        }
        finally
        {
            _subscribing.Release();
        }

        await PublishHeartbeatAsync().ConfigureAwait(false);
    }

    /// <summary>
    /// For a recovery: forgets the lease, subscribes, and waits until this node hears a heartbeat it sent now, which
    /// proves it receives the channel again and has applied everything published before. Throws when it does not.
    /// </summary>
    public async Task ResynchronizeAsync()
    {
        Volatile.Write(ref _leaseUntil, 0);
        await StartAsync().ConfigureAwait(false);
        var sentAfter = _timeProvider.GetTimestamp();
        for (var attempt = 0; attempt < 4 && Volatile.Read(ref _leaseUntil) <= sentAfter; attempt++)
        {
            await PublishHeartbeatAsync().ConfigureAwait(false);
            await Task.Delay(Lease / 8, _timeProvider).ConfigureAwait(false);
        }

        if (Volatile.Read(ref _leaseUntil) <= sentAfter)
        {
            throw new InvalidOperationException("This node does not hear its own heartbeat on the invalidation channel yet.");
        }
    }

    /// <summary>
    /// Sends <paramref name="body"/> as a message of <paramref name="kind"/>; with <paramref name="confirm"/>, returns
    /// once every subscriber has applied it, or after <see cref="Lease"/>. Never throws: an outage is reported.
    /// </summary>
    public Task PublishAsync(string kind, string body, bool confirm) => SendAsync(kind, body, confirm ? Lease : null);

    /// <summary>
    /// Asks every other node a question (<paramref name="kind"/> about <paramref name="body"/>) and returns each
    /// answer by node id, as they came within <paramref name="wait"/>. Nothing when Redis cannot be reached.
    /// </summary>
    public async Task<IReadOnlyDictionary<string, string>> AskAsync(string kind, string body, TimeSpan wait)
    {
        var answers = await SendAsync(kind, body, wait).ConfigureAwait(false);
        return answers.Where(a => a.Key != _self).ToDictionary(a => NodeIdOf(a.Key), a => a.Value, StringComparer.Ordinal);
    }

    /// <summary>
    /// A channel of this cache, routed like a key: on a cluster every node subscribes to it on, and publishes it to,
    /// the primary that owns the prefix's hash slot. A cluster's PUBLISH counts only the subscribers of the node it
    /// reached, and a write waits for that many acknowledgements: with every subscriber on one node, the count is all
    /// of them. (Routed by the client's default, a node subscribed elsewhere went uncounted, and a write could
    /// return before it dropped its L1 copy.) On a single server routing changes nothing.
    /// </summary>
    private static RedisChannel Channel(RedisConnection connection, string name) =>
        RedisChannel.Literal($"{connection.Prefix}{name}").WithKeyRouting();

    /// <summary>The node id of a sender or acker name (<c>node-a</c> of <c>node-a/0f3c…</c>).</summary>
    private static string NodeIdOf(string name) => name.LastIndexOf('/') is var slash and > 0 ? name[..slash] : name;

    private async Task<IReadOnlyDictionary<string, string>> SendAsync(string kind, string body, TimeSpan? wait)
    {
        var confirm = wait is not null;
        var sequence = Interlocked.Increment(ref _sequence);
        var pending = confirm ? _pending.GetOrAdd(sequence, static _ => new PendingAcks()) : null;
        try
        {
            long receivers;
            var sentAt = _timeProvider.GetTimestamp();
            try
            {
                receivers = await _connection.Subscriber.PublishAsync(_channel, Format(kind, sequence, body)).ConfigureAwait(false);
                receivers = _seams.ReceiversSeen(receivers);
                Volatile.Write(ref _unreachableSince, 0);
            }
            catch (Exception ex) when (RedisConnection.IsOutage(ex))
            {
                _connection.ReportFailure(ex);
                if (confirm)
                {
                    await WaitOutTheLeasesAsync().ConfigureAwait(false);
                }

                return new Dictionary<string, string>();
            }

            if (pending is null)
            {
                return new Dictionary<string, string>();
            }

            await WaitForAcksAsync(sequence, pending, receivers, sentAt, wait!.Value).ConfigureAwait(false);
            return pending.Answers;
        }
        finally
        {
            if (pending is not null)
            {
                _pending.TryRemove(sequence, out _);
            }
        }
    }

    /// <inheritdoc />
    public void Dispose()
    {
        _heartbeat.Dispose();
        _subscribing.Dispose();
    }

    private async Task PublishHeartbeatAsync()
    {
        if (_messages is null || !_connection.Multiplexer.IsConnected)
        {
            return;
        }

        var sent = _timeProvider.GetTimestamp();
        try
        {
            await _connection.Subscriber.PublishAsync(
                _channel, Format(HeartbeatKind, Interlocked.Increment(ref _sequence), sent.ToString(CultureInfo.InvariantCulture))).ConfigureAwait(false);
            Volatile.Write(ref _unreachableSince, 0);
        }
        catch (Exception ex) when (RedisConnection.IsOutage(ex))
        {
            // A quiet node notices a stall here too; no heartbeat heard, no lease: L1 waits until the channel works.
            Interlocked.CompareExchange(ref _unreachableSince, _timeProvider.GetTimestamp(), 0);
            _connection.ReportFailure(ex);
        }
    }

    private void OnMessage(RedisValue value)
    {
        var parts = ((string?)value)?.Split(Separator, 4);
        if (parts is not { Length: 4 } || !long.TryParse(parts[2], NumberStyles.None, CultureInfo.InvariantCulture, out var sequence))
        {
            return;
        }

        var (kind, node, body) = (parts[0], parts[1], parts[3]);
        if (kind == HeartbeatKind)
        {
            if (node != _self)
            {
                _heard[node] = _timeProvider.GetTimestamp();
            }
            else if (long.TryParse(body, NumberStyles.None, CultureInfo.InvariantCulture, out var sent))
            {
                RenewLease(sent);
            }

            return;
        }

        string? answer = null;
        if (node != _self)
        {
            try
            {
                var message = new NodeMessage(kind, NodeIdOf(node), body);
                _seams.BeforeApply(message);
                answer = _apply(message);
            }
#pragma warning disable CA1031 // A message this node cannot apply must not stop the channel: it stops trusting its L1 instead.
            catch (Exception ex)
#pragma warning restore CA1031
            {
                Volatile.Write(ref _leaseUntil, 0);
                _onApplyFailed(ex);
                LogApplyFailed(_logger, ex);
                return;
            }
        }

        _ = AcknowledgeAsync(node, sequence, answer);
    }

    private void RenewLease(long sentTimestamp)
    {
        var until = sentTimestamp + (long)(Lease.TotalSeconds * _timeProvider.TimestampFrequency);
        for (var current = Volatile.Read(ref _leaseUntil); until > current; current = Volatile.Read(ref _leaseUntil))
        {
            if (Interlocked.CompareExchange(ref _leaseUntil, until, current) == current)
            {
                return;
            }
        }
    }

    private string Format(string kind, long sequence, string body) =>
        $"{kind}{Separator}{_self}{Separator}{sequence.ToString(CultureInfo.InvariantCulture)}{Separator}{body}";

    [LoggerMessage(EventId = 43, Level = LogLevel.Warning, Message = "Invalidation {Sequence} was confirmed by {Acks} of {Receivers} subscribers within the lease; the silent ones stopped serving L1")]
    private static partial void LogUnconfirmed(ILogger logger, long sequence, int acks, long receivers);

    [LoggerMessage(EventId = 44, Level = LogLevel.Error, Message = "A message on the invalidation channel could not be applied; this node's L1 is cleared and its lease dropped")]
    private static partial void LogApplyFailed(ILogger logger, Exception exception);
}
