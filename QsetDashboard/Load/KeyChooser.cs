namespace QsetDashboard.Load;

/// <summary>Picks key ranks 0..n-1, uniformly or by a Zipf law (rank k has weight 1/(k+1)^s), from a cumulative table.</summary>
public sealed class KeyChooser
{
    private readonly double[]? _cumulative;
    private readonly int _count;

    /// <summary>Builds the chooser for <paramref name="count"/> keys.</summary>
    public KeyChooser(int count, KeyDistribution distribution, double exponent)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(count, 1);
        _count = count;
        if (distribution != KeyDistribution.Zipf)
        {
            return;
        }

        _cumulative = new double[count];
        var total = 0.0;
        for (var k = 0; k < count; k++)
        {
            total += 1.0 / Math.Pow(k + 1, exponent);
            _cumulative[k] = total;
        }

        for (var k = 0; k < count; k++)
        {
            _cumulative[k] /= total;
        }
    }

    /// <summary>The next key rank, 0 the hottest.</summary>
    public int Next(Random random)
    {
        ArgumentNullException.ThrowIfNull(random);
        if (_cumulative is null)
        {
            return random.Next(_count);
        }

        var index = Array.BinarySearch(_cumulative, random.NextDouble());
        return Math.Min(index < 0 ? ~index : index, _count - 1);
    }
}
