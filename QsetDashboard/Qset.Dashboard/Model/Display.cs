using System.Globalization;
using Qset.Caching;

namespace Qset.Dashboard.Model;

/// <summary>How the dashboard writes durations, ages and sizes, the same on every page.</summary>
public static class Display
{
    /// <summary>An operation's duration: <c>0.42 ms</c>, or <c>3.1 µs</c> below a tenth of a millisecond (a memory hit).</summary>
    public static string Duration(TimeSpan duration) => duration.TotalMilliseconds < 0.1
        ? string.Create(CultureInfo.InvariantCulture, $"{duration.TotalMicroseconds:0.0} µs")
        : string.Create(CultureInfo.InvariantCulture, $"{duration.TotalMilliseconds:0.00} ms");

    /// <summary>A countdown or an age, to the second: <c>4:59</c>, <c>1:02:03</c>.</summary>
    public static string Clock(TimeSpan span)
    {
        if (span < TimeSpan.Zero)
        {
            span = TimeSpan.Zero;
        }

        var seconds = (long)Math.Ceiling(span.TotalSeconds - 0.0005);
        var t = TimeSpan.FromSeconds(seconds);
        return t.TotalHours >= 1
            ? string.Create(CultureInfo.InvariantCulture, $"{(int)t.TotalHours}:{t.Minutes:00}:{t.Seconds:00}")
            : string.Create(CultureInfo.InvariantCulture, $"{t.Minutes}:{t.Seconds:00}");
    }

    /// <summary>A size: <c>38 B</c>, <c>1.2 KB</c>.</summary>
    public static string Bytes(long bytes) => bytes < 1024
        ? string.Create(CultureInfo.InvariantCulture, $"{bytes} B")
        : string.Create(CultureInfo.InvariantCulture, $"{bytes / 1024.0:0.0} KB");

    /// <summary>A ratio as a percentage: <c>66.7 %</c>.</summary>
    public static string Percent(double ratio) => string.Create(CultureInfo.InvariantCulture, $"{ratio * 100:0.0} %");

    /// <summary>A time of day to the millisecond, in UTC: <c>23:41:07.125</c>.</summary>
    public static string Time(DateTimeOffset timestamp) =>
        timestamp.UtcDateTime.ToString("HH:mm:ss.fff", CultureInfo.InvariantCulture);

    /// <summary>What an event's detail says, and for an invalidation that removed nothing, that it found nothing cached.</summary>
    public static string? Detail(CacheEvent cacheEvent) =>
        cacheEvent is { Kind: CacheEventKind.Invalidate, Count: 0 }
            ? string.IsNullOrEmpty(cacheEvent.Detail) ? NothingCached : $"{cacheEvent.Detail} · {NothingCached}"
            : cacheEvent.Detail;

    private const string NothingCached = "nothing was cached under the key";
}
