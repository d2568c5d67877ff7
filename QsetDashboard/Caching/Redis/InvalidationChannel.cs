using System.Collections.Concurrent;
using System.Globalization;
using Microsoft.Extensions.Logging;
using StackExchange.Redis;

namespace QsetDashboard.Caching.Redis;

/// <summary>A message another Hybrid node sent: its <paramref name="Kind"/>, the sender, and what it is about.</summary>
internal readonly record struct NodeMessage(string Kind, string Node, string Body);

/// <summary>
/// How Hybrid nodes tell each other what to drop from their L1, so that an acknowledged write is never followed by
/// an old L1 value on any node. Two rules make that hold without synchronised clocks:
/// <list type="bullet">
/// <item>A confirmed message waits until every other subscribed node has applied it (each acknowledges on the
/// sender's own ack channel), or until one lease period has passed.</item>
/// <item>A node serves its L1 only while it holds a lease: it renews the lease when it hears its own heartbeat come
/// back through the channel. Messages on a channel arrive in order, so a node that has not applied a message has
/// heard no heartbeat sent after it, and its lease runs out at most one lease period after the message was sent:
/// by the time a sender stops waiting for a silent node, that node no longer serves L1.</item>
/// <item>When the message cannot be sent at all (Redis is down or stalled for everyone), no node can renew its lease
/// either: the sender waits until one lease has passed since it first found Redis unreachable, after which no node
/// serves L1, and later writes of the same outage return at once.</item>
/// </list>
/// A node cut off from a Redis that the others still reach cannot tell them anything: its writes are invalidated
/// everywhere when it recovers (every recovery drops the shared entries and every node's L1).
/// </summary>
internal sealed partial class InvalidationChannel : IDisposable
{
    private const char Separator = '\n';
    private const string HeartbeatKind = "h";

    private readonly RedisConnection _connection;
    private readonly TimeProvider _timeProvider;
    private readonly ILogger _logger;
    private readonly Action<NodeMessage> _apply;
    private readonly RedisChannel _channel;
    private readonly RedisChannel _acks;
    private readonly ConcurrentDictionary<string, long> _ackedBy = new(StringComparer.Ordinal);
    private readonly ITimer _heartbeat;
    private TaskCompletionSource _ackArrived = NewSignal();
    private long _sequence;
    private long _leaseUntil;
    private long _unreachableSince;
    private int _subscribed;

    public InvalidationChannel(RedisConnection connection, TimeProvider timeProvider, TimeSpan lease, ILogger logger, Action<NodeMessage> apply)
    {
        _connection = connection;
        _timeProvider = timeProvider;
        _logger = logger;
        _apply = apply;
        Lease = lease;
        _channel = RedisChannel.Literal($"{connection.Prefix}invalidations");
        _acks = RedisChannel.Literal($"{connection.Prefix}acks:{connection.NodeId}");
        var beat = lease / 4;
        _heartbeat = timeProvider.CreateTimer(_ => _ = PublishHeartbeatAsync(), null, beat, beat);
    }

    /// <summary>How long a heard heartbeat lets this node serve its L1, and the longest a sender waits for a silent node.</summary>
    public TimeSpan Lease { get; }

    /// <summary>True while this node has heard its own heartbeat recently enough to trust that it is not behind.</summary>
    public bool HoldsLease => _timeProvider.GetTimestamp() < Volatile.Read(ref _leaseUntil);

    /// <summary>Subscribes (once, and again after a failure) and sends a first heartbeat.</summary>
    public async Task StartAsync()
    {
        if (Interlocked.Exchange(ref _subscribed, 1) == 0)
        {
            try
            {
                await _connection.Subscriber.SubscribeAsync(_channel, (_, message) => OnMessage(message)).ConfigureAwait(false);
                await _connection.Subscriber.SubscribeAsync(_acks, (_, message) => OnAck(message)).ConfigureAwait(false);
            }
            catch (Exception ex) when (RedisConnection.IsOutage(ex))
            {
                // Not subscribed: the recovery that ends this outage subscribes again.
                Interlocked.Exchange(ref _subscribed, 0);
                _connection.ReportFailure(ex);
                return;
            }
        }

        await PublishHeartbeatAsync().ConfigureAwait(false);
    }

    /// <summary>True when this node hears the channel.</summary>
    public bool IsListening => Volatile.Read(ref _subscribed) == 1 && _connection.Subscriber.IsConnected(_channel);

    /// <summary>
    /// Sends <paramref name="body"/> as a message of <paramref name="kind"/>; with <paramref name="confirm"/>, returns
    /// once every other node has applied it, or after <see cref="Lease"/>. Never throws: an outage is reported.
    /// </summary>
    public async Task PublishAsync(string kind, string body, bool confirm)
    {
        var sequence = Interlocked.Increment(ref _sequence);
        long receivers;
        try
        {
            receivers = await _connection.Subscriber.PublishAsync(_channel, Format(kind, sequence, body)).ConfigureAwait(false);
            Volatile.Write(ref _unreachableSince, 0);
        }
        catch (Exception ex) when (RedisConnection.IsOutage(ex))
        {
            _connection.ReportFailure(ex);
            if (confirm)
            {
                await WaitOutTheLeasesAsync().ConfigureAwait(false);
            }

            return;
        }

        var others = receivers - (IsListening ? 1 : 0);
        if (confirm && others > 0)
        {
            await WaitForAcksAsync(sequence, others).ConfigureAwait(false);
        }
    }

    /// <inheritdoc />
    public void Dispose() => _heartbeat.Dispose();

    private async Task WaitOutTheLeasesAsync()
    {
        var now = _timeProvider.GetTimestamp();
        var since = Interlocked.CompareExchange(ref _unreachableSince, now, 0);
        var left = Lease - _timeProvider.GetElapsedTime(since == 0 ? now : since);
        if (left > TimeSpan.Zero)
        {
            await Task.Delay(left, _timeProvider).ConfigureAwait(false);
        }
    }

    private async Task WaitForAcksAsync(long sequence, long others)
    {
        var started = _timeProvider.GetTimestamp();
        while (true)
        {
            var arrived = Volatile.Read(ref _ackArrived);
            if (_ackedBy.Values.Count(acked => acked >= sequence) >= others)
            {
                return;
            }

            var left = Lease - _timeProvider.GetElapsedTime(started);
            if (left <= TimeSpan.Zero)
            {
                // A node that did not answer has had no heartbeat since this message: its lease has run out.
                LogUnconfirmed(_logger, sequence, others);
                return;
            }

            try
            {
                await arrived.Task.WaitAsync(left, _timeProvider).ConfigureAwait(false);
            }
            catch (TimeoutException)
            {
                // Checked again at the top: counts first, then the lease.
            }
        }
    }

    private async Task PublishHeartbeatAsync()
    {
        if (Volatile.Read(ref _subscribed) == 0 || !_connection.Multiplexer.IsConnected)
        {
            return;
        }

        var sent = _timeProvider.GetTimestamp().ToString(CultureInfo.InvariantCulture);
        try
        {
            await _connection.Subscriber.PublishAsync(_channel, Format(HeartbeatKind, Interlocked.Increment(ref _sequence), sent)).ConfigureAwait(false);
        }
        catch (Exception ex) when (RedisConnection.IsOutage(ex))
        {
            // No heartbeat heard, no lease: L1 is bypassed until the channel works again.
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
        if (node == _connection.NodeId)
        {
            if (kind == HeartbeatKind && long.TryParse(body, NumberStyles.None, CultureInfo.InvariantCulture, out var sent))
            {
                RenewLease(sent);
            }

            return;
        }

        if (kind == HeartbeatKind)
        {
            return;
        }

        _apply(new NodeMessage(kind, node, body));
        _ = AcknowledgeAsync(node, sequence);
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

    private async Task AcknowledgeAsync(string node, long sequence)
    {
        try
        {
            await _connection.Subscriber.PublishAsync(
                RedisChannel.Literal($"{_connection.Prefix}acks:{node}"),
                $"{_connection.NodeId}{Separator}{sequence.ToString(CultureInfo.InvariantCulture)}").ConfigureAwait(false);
        }
        catch (Exception ex) when (RedisConnection.IsOutage(ex))
        {
            // The sender stops waiting after one lease; this node's lease runs out meanwhile.
        }
    }

    private void OnAck(RedisValue value)
    {
        var parts = ((string?)value)?.Split(Separator);
        if (parts is not { Length: 2 } || !long.TryParse(parts[1], NumberStyles.None, CultureInfo.InvariantCulture, out var sequence))
        {
            return;
        }

        _ackedBy.AddOrUpdate(parts[0], sequence, (_, seen) => Math.Max(seen, sequence));
        Interlocked.Exchange(ref _ackArrived, NewSignal()).TrySetResult();
    }

    private string Format(string kind, long sequence, string body) =>
        $"{kind}{Separator}{_connection.NodeId}{Separator}{sequence.ToString(CultureInfo.InvariantCulture)}{Separator}{body}";

    private static TaskCompletionSource NewSignal() => new(TaskCreationOptions.RunContinuationsAsynchronously);

    [LoggerMessage(EventId = 43, Level = LogLevel.Warning, Message = "Invalidation {Sequence} was not confirmed by all {Others} other nodes within the lease; the silent ones stopped serving L1")]
    private static partial void LogUnconfirmed(ILogger logger, long sequence, long others);
}
