using System.Collections.Concurrent;
using System.Globalization;
using Qset.Caching.Redis;
using StackExchange.Redis;

namespace Qset.Caching.Hybrid;

/// <summary>
/// A confirmed message returns once every node heard on the channel has acknowledged it, or has stopped serving its L1
/// for want of a lease: no node serves a copy the message dropped after the sender returns.
/// </summary>
internal sealed partial class InvalidationChannel
{
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

    private async Task WaitForAcksAsync(long sequence, PendingAcks pending, long receivers, long sentAt, TimeSpan wait)
    {
        var started = _timeProvider.GetTimestamp();
        while (true)
        {
            var arrived = pending.Arrived;
            if (pending.Count >= receivers && EveryNodeHeardBeforeAcked(pending, sentAt))
            {
                return;
            }

            var left = wait - _timeProvider.GetElapsedTime(started);
            if (left <= TimeSpan.Zero)
            {
                // A subscriber that did not answer has heard no heartbeat since this message: its lease has run out.
                LogUnconfirmed(_logger, sequence, pending.Count, receivers);
                return;
            }

            try
            {
                await arrived.WaitAsync(left, _timeProvider).ConfigureAwait(false);
            }
            catch (TimeoutException)
            {
                // Checked again at the top: counts first, then the lease.
            }
        }
    }

    /// <summary>
    /// True when every other node heard within a lease before <paramref name="sentAt"/>, or since, acknowledged: a node
    /// heard then may hold a lease, and so serve its L1. Nodes unheard for two leases are forgotten.
    /// </summary>
    private bool EveryNodeHeardBeforeAcked(PendingAcks pending, long sentAt)
    {
        // A single server's PUBLISH counts every subscriber; only a cluster's can count short. (Asking by name there
        // too would make writes wait a lease for a node that crashed, until it goes unheard.)
        if (!_connection.IsCluster)
        {
            return true;
        }

        var leaseTicks = (long)(Lease.TotalSeconds * _timeProvider.TimestampFrequency);
        var now = _timeProvider.GetTimestamp();
        foreach (var (node, heard) in _heard)
        {
            if (heard < now - (2 * leaseTicks))
            {
                _heard.TryRemove(KeyValuePair.Create(node, heard));
            }
            else if (heard >= sentAt - leaseTicks && !pending.Has(node))
            {
                return false;
            }
        }

        return true;
    }

    private async Task AcknowledgeAsync(string node, long sequence, string? answer)
    {
        try
        {
            var ack = $"{_self}{Separator}{sequence.ToString(CultureInfo.InvariantCulture)}";
            await _connection.Subscriber.PublishAsync(
                Channel(_connection, $"acks:{node}"),
                answer is null ? ack : $"{ack}{Separator}{answer}").ConfigureAwait(false);
        }
        catch (Exception ex) when (RedisConnection.IsOutage(ex))
        {
            // The sender stops waiting after one lease; this node's lease runs out meanwhile.
        }
    }

    private void OnAck(RedisValue value)
    {
        var parts = ((string?)value)?.Split(Separator, 3);
        if (parts is [var acker, var text, ..]
            && long.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var sequence)
            && _pending.TryGetValue(sequence, out var pending))
        {
            pending.Add(acker, parts.Length == 3 ? parts[2] : string.Empty);
        }
    }

    /// <summary>The distinct subscribers that acknowledged one message with their answers, and a signal on each new one.</summary>
    private sealed class PendingAcks
    {
        private readonly Dictionary<string, string> _ackers = new(StringComparer.Ordinal);
        private TaskCompletionSource _arrived = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public Task Arrived
        {
            get
            {
                lock (_ackers)
                {
                    return _arrived.Task;
                }
            }
        }

        public int Count
        {
            get
            {
                lock (_ackers)
                {
                    return _ackers.Count;
                }
            }
        }

        public bool Has(string acker)
        {
            lock (_ackers)
            {
                return _ackers.ContainsKey(acker);
            }
        }

        public IReadOnlyDictionary<string, string> Answers
        {
            get
            {
                lock (_ackers)
                {
                    return new Dictionary<string, string>(_ackers, StringComparer.Ordinal);
                }
            }
        }

        public void Add(string acker, string answer)
        {
            TaskCompletionSource signal;
            lock (_ackers)
            {
                if (!_ackers.TryAdd(acker, answer))
                {
                    return;
                }

                signal = _arrived;
                _arrived = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            }

            signal.TrySetResult();
        }
    }
}
