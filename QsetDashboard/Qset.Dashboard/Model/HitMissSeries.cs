using Qset.Caching;

namespace Qset.Dashboard.Model;

/// <summary>Hits and misses in one second of the overview chart.</summary>
public readonly record struct HitMissBucket(DateTimeOffset Second, int Hits, int Misses);

/// <summary>Counts hits and misses per second over a recent window, from the journal.</summary>
internal static class HitMissSeries
{
    /// <summary>The window the overview charts.</summary>
    public static readonly TimeSpan Window = TimeSpan.FromMinutes(1);

    /// <summary>
    /// One bucket per whole second of the <paramref name="seconds"/> seconds ending at <paramref name="now"/>,
    /// oldest first, from events given newest first (the scan stops at the first event older than the window).
    /// </summary>
    public static IReadOnlyList<HitMissBucket> Build(IEnumerable<CacheEvent> newestFirst, DateTimeOffset now, int seconds = 60)
    {
        ArgumentNullException.ThrowIfNull(newestFirst);
        ArgumentOutOfRangeException.ThrowIfLessThan(seconds, 1);
        var end = TruncateToSecond(now);
        var start = end.AddSeconds(-(seconds - 1));
        var hits = new int[seconds];
        var misses = new int[seconds];
        foreach (var e in newestFirst)
        {
            if (e.Timestamp < start)
            {
                break;
            }

            var index = (int)(TruncateToSecond(e.Timestamp) - start).TotalSeconds;
            if (index >= seconds)
            {
                continue;
            }

            if (e.Kind == CacheEventKind.Hit)
            {
                hits[index]++;
            }
            else if (e.Kind == CacheEventKind.Miss)
            {
                misses[index]++;
            }
        }

        var buckets = new HitMissBucket[seconds];
        for (var i = 0; i < seconds; i++)
        {
            buckets[i] = new HitMissBucket(start.AddSeconds(i), hits[i], misses[i]);
        }

        return buckets;
    }

    private static DateTimeOffset TruncateToSecond(DateTimeOffset t) =>
        new(t.Ticks - (t.Ticks % TimeSpan.TicksPerSecond), t.Offset);
}
