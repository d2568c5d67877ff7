using System.Numerics;

namespace QsetDashboard.Load;

/// <summary>
/// Latencies in nanoseconds, counted in log-spaced buckets (16 per power of two, so a percentile is within ~6 %),
/// so a client records millions of operations in a fixed, small array. One writer; readers take copies.
/// </summary>
public sealed class LatencyHistogram
{
    private const int SubBuckets = 16;
    private const int Buckets = 64 * SubBuckets;

    private readonly long[] _counts = new long[Buckets];

    /// <summary>Counts one operation that took <paramref name="nanoseconds"/>.</summary>
    public void Record(long nanoseconds)
    {
        var index = IndexOf(Math.Max(nanoseconds, 0));
        Volatile.Write(ref _counts[index], _counts[index] + 1);
    }

    /// <summary>Adds this histogram's counts into <paramref name="totals"/> (a buffer of <see cref="BucketCount"/>).</summary>
    public void AddTo(long[] totals)
    {
        ArgumentNullException.ThrowIfNull(totals);
        for (var i = 0; i < Buckets; i++)
        {
            totals[i] += Volatile.Read(ref _counts[i]);
        }
    }

    /// <summary>The size of a buffer for <see cref="AddTo"/>.</summary>
    public static int BucketCount => Buckets;

    /// <summary>The <paramref name="quantile"/> (0–1) of the counts in <paramref name="buckets"/>, in nanoseconds; 0 when empty.</summary>
    public static double Percentile(ReadOnlySpan<long> buckets, double quantile)
    {
        long total = 0;
        foreach (var count in buckets)
        {
            total += count;
        }

        if (total == 0)
        {
            return 0;
        }

        var rank = Math.Max(1, (long)Math.Ceiling(quantile * total));
        long seen = 0;
        for (var i = 0; i < buckets.Length; i++)
        {
            seen += buckets[i];
            if (seen >= rank)
            {
                return Midpoint(i);
            }
        }

        return Midpoint(buckets.Length - 1);
    }

    private static int IndexOf(long value)
    {
        if (value < SubBuckets)
        {
            return (int)value;
        }

        var exponent = BitOperations.Log2((ulong)value);
        var sub = (int)(value >> (exponent - 4)) & (SubBuckets - 1);
        return Math.Min(((exponent - 3) * SubBuckets) + sub, Buckets - 1);
    }

    private static double Midpoint(int index)
    {
        if (index < SubBuckets)
        {
            return index;
        }

        var exponent = (index / SubBuckets) + 3;
        var sub = index % SubBuckets;
        var low = (double)(SubBuckets + sub) * Math.Pow(2, exponent - 4);
        var width = Math.Pow(2, exponent - 4);
        return low + (width / 2);
    }
}
