using Qset.Caching;

namespace Qset.Dashboard.Model;

/// <summary>
/// The keys read most in the last minute, counted incrementally from the journal's HIT events in six ten-second
/// buckets. Each bucket counts at most 2,000 distinct keys (a key first seen when its bucket is full is not counted
/// there), so memory stays bounded and the hottest keys, which arrive early and often, are counted exactly.
/// </summary>
internal sealed class HotKeys : IDisposable
{
    private const int BucketSeconds = 10;
    private const int Buckets = 6;
    private const int MaxKeysPerBucket = 2_000;

    private readonly TimeProvider _timeProvider;
    private readonly Lock _lock = new();
    private readonly long[] _bucketStarts = new long[Buckets];
    private readonly Dictionary<string, int>[] _counts = [.. Enumerable.Range(0, Buckets).Select(_ => new Dictionary<string, int>(StringComparer.Ordinal))];
    private readonly IDisposable _subscription;

    /// <summary>Starts counting the hits <paramref name="journal"/> records from now on.</summary>
    public HotKeys(EventJournal journal, TimeProvider timeProvider)
    {
        ArgumentNullException.ThrowIfNull(journal);
        _timeProvider = timeProvider;
        _subscription = journal.Subscribe(Count);
    }

    /// <summary>The <paramref name="count"/> keys with the most hits in the last minute, most first.</summary>
    public IReadOnlyList<(string Key, int Hits)> Top(int count)
    {
        var now = BucketOf(_timeProvider.GetUtcNow());
        Dictionary<string, int> totals = new(StringComparer.Ordinal);
        lock (_lock)
        {
            for (var i = 0; i < Buckets; i++)
            {
                if (_bucketStarts[i] > now - Buckets)
                {
                    foreach (var (key, hits) in _counts[i])
                    {
                        totals[key] = totals.GetValueOrDefault(key) + hits;
                    }
                }
            }
        }

        return [.. totals.OrderByDescending(t => t.Value).ThenBy(t => t.Key, StringComparer.Ordinal).Take(count).Select(t => (t.Key, t.Value))];
    }

    /// <inheritdoc />
    public void Dispose() => _subscription.Dispose();

    private static long BucketOf(DateTimeOffset time) => time.ToUnixTimeSeconds() / BucketSeconds;

    private void Count(IReadOnlyList<CacheEvent> events)
    {
        lock (_lock)
        {
            foreach (var e in events)
            {
                if (e.Kind != CacheEventKind.Hit)
                {
                    continue;
                }

                var bucket = BucketOf(e.Timestamp);
                var slot = (int)(bucket % Buckets);
                if (_bucketStarts[slot] != bucket)
                {
                    _bucketStarts[slot] = bucket;
                    _counts[slot].Clear();
                }

                var counts = _counts[slot];
                if (counts.TryGetValue(e.Key, out var hits))
                {
                    counts[e.Key] = hits + 1;
                }
                else if (counts.Count < MaxKeysPerBucket)
                {
                    counts[e.Key] = 1;
                }
            }
        }
    }
}
