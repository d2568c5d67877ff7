using System.Globalization;

namespace QsetDashboard.Load;

/// <summary>How the load lab picks the key of each operation.</summary>
public enum KeyDistribution
{
    /// <summary>Every key equally likely.</summary>
    Uniform,

    /// <summary>A few hot keys and a long tail: key of rank k has weight 1/k^s (real traffic looks like this).</summary>
    Zipf,
}

/// <summary>One load run's parameters. <see cref="Validate"/> lists what is wrong, in words a form can show.</summary>
public sealed record LoadSettings
{
    /// <summary>The most concurrent clients a run may use.</summary>
    public const int MaxClients = 32;

    /// <summary>The longest a run may last: the lab always stops by itself.</summary>
    public static readonly TimeSpan MaxDuration = TimeSpan.FromSeconds(60);

    /// <summary>The most distinct keys a run may touch.</summary>
    public const int MaxKeyCount = 10_000;

    /// <summary>Concurrent cached clients (and as many uncached readers beside them).</summary>
    public int Clients { get; init; } = 4;

    /// <summary>How long the run lasts.</summary>
    public TimeSpan Duration { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>The share of operations that are reads, 0–100 %; the rest are writes (save + invalidate).</summary>
    public int ReadPercent { get; init; } = 90;

    /// <summary>How many distinct users the run reads and writes.</summary>
    public int KeyCount { get; init; } = 1_000;

    /// <summary>How keys are picked.</summary>
    public KeyDistribution Distribution { get; init; } = KeyDistribution.Zipf;

    /// <summary>The Zipf exponent s (0.5–2): the larger, the hotter the few top keys.</summary>
    public double ZipfExponent { get; init; } = 1.0;

    /// <summary>How often a snapshot (a chart point) is taken.</summary>
    public TimeSpan SampleInterval { get; init; } = TimeSpan.FromMilliseconds(250);

    /// <summary>The error for <see cref="Clients"/>, or null.</summary>
    public static string? ValidateClients(int clients) =>
        clients is < 1 or > MaxClients ? $"Clients must be between 1 and {MaxClients} (got {clients})." : null;

    /// <summary>The error for <see cref="Duration"/>, or null.</summary>
    public static string? ValidateDuration(TimeSpan duration) =>
        duration < TimeSpan.FromMilliseconds(100) || duration > MaxDuration
            ? string.Create(CultureInfo.InvariantCulture, $"Duration must be between 0.1 and {MaxDuration.TotalSeconds:0} seconds (got {duration.TotalSeconds:0.###}).")
            : null;

    /// <summary>The error for <see cref="ReadPercent"/>, or null.</summary>
    public static string? ValidateReadPercent(int readPercent) =>
        readPercent is < 0 or > 100 ? $"Read share must be between 0 and 100 % (got {readPercent})." : null;

    /// <summary>The error for <see cref="KeyCount"/>, or null.</summary>
    public static string? ValidateKeyCount(int keyCount) =>
        keyCount is < 1 or > MaxKeyCount ? $"Key count must be between 1 and {MaxKeyCount} (got {keyCount})." : null;

    /// <summary>The error for <see cref="ZipfExponent"/>, or null.</summary>
    public static string? ValidateZipfExponent(double exponent) =>
        double.IsNaN(exponent) || exponent < 0.5 || exponent > 2.0
            ? string.Create(CultureInfo.InvariantCulture, $"Zipf exponent must be between 0.5 and 2 (got {exponent}).")
            : null;

    /// <summary>Every problem with these settings; empty when they can run.</summary>
    public IReadOnlyList<string> Validate()
    {
        List<string> errors = [];
        void Add(string? error)
        {
            if (error is not null)
            {
                errors.Add(error);
            }
        }

        Add(ValidateClients(Clients));
        Add(ValidateDuration(Duration));
        Add(ValidateReadPercent(ReadPercent));
        Add(ValidateKeyCount(KeyCount));
        if (Distribution == KeyDistribution.Zipf)
        {
            Add(ValidateZipfExponent(ZipfExponent));
        }

        if (!Enum.IsDefined(Distribution))
        {
            errors.Add($"Distribution must be Uniform or Zipf (got {Distribution}).");
        }

        if (SampleInterval < TimeSpan.FromMilliseconds(50) || SampleInterval > TimeSpan.FromSeconds(5))
        {
            errors.Add("Sample interval must be between 50 ms and 5 s.");
        }

        return errors;
    }
}
