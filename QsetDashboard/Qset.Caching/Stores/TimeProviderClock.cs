using Microsoft.Extensions.Internal;

namespace Qset.Caching;

/// <summary>
/// "Now" for the hot path (a hit's event time, <see cref="Microsoft.Extensions.Caching.Memory.MemoryCache"/>'s
/// expiry checks), read from the injected <see cref="TimeProvider"/> so that TTL can be tested.
/// </summary>
/// <remarks>
/// A precise read of the system clock costs about as much as a whole hit (docs/benchmarks.md), so for
/// <see cref="TimeProvider.System"/> it is read through the low-resolution tick count (1–4 ms resolution), anchored
/// to the wall clock and re-anchored once a second. TTLs are seconds to minutes; event
/// order comes from sequence numbers, not times. Any other provider (a test's fake clock) is read as is.
/// </remarks>
internal sealed class TimeProviderClock(TimeProvider timeProvider) : ISystemClock
{
    private const long ReanchorEveryMs = 1_000;

    private readonly bool _coarse = ReferenceEquals(timeProvider, TimeProvider.System);

    // Wall-clock ticks minus tick-count ticks: one long, so a re-anchor is a single atomic write.
    private long _offset = long.MinValue;
    private long _reanchorAtMs;

    public DateTimeOffset UtcNow
    {
        get
        {
            if (!_coarse)
            {
                return timeProvider.GetUtcNow();
            }

            var ms = Environment.TickCount64;
            if (ms >= Volatile.Read(ref _reanchorAtMs))
            {
                Reanchor(ms);
            }

            return new DateTimeOffset(Volatile.Read(ref _offset) + (ms * TimeSpan.TicksPerMillisecond), TimeSpan.Zero);
        }
    }

    private void Reanchor(long ms)
    {
        var wall = DateTime.UtcNow.Ticks;
        var offset = wall - (ms * TimeSpan.TicksPerMillisecond);

        // Between anchors the tick count and the wall clock drift apart by parts per million; a step of the
        // wall clock (NTP) shows here within a second.
        Volatile.Write(ref _offset, offset);
        Volatile.Write(ref _reanchorAtMs, ms + ReanchorEveryMs);
    }
}
