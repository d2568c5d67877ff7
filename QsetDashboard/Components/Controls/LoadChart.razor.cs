using System.Globalization;
using System.Text;
using Microsoft.AspNetCore.Components;

namespace QsetDashboard.Components.Controls;

/// <summary>A line chart of one or more series sampled at the same elapsed times, scaled to the run's duration.</summary>
public sealed partial class LoadChart
{
    private const double Width = 300;
    private const double Height = 100;

    /// <summary>The chart's caption.</summary>
    [Parameter, EditorRequired]
    public required string Title { get; set; }

    /// <summary>The lines to draw.</summary>
    [Parameter, EditorRequired]
    public required IReadOnlyList<LoadChartLine> Lines { get; set; }

    /// <summary>Elapsed seconds of each sample, shared by every line.</summary>
    [Parameter, EditorRequired]
    public required IReadOnlyList<double> Seconds { get; set; }

    /// <summary>The x axis spans 0 to this many seconds (the run's duration).</summary>
    [Parameter]
    public double MaxSeconds { get; set; } = 10;

    /// <summary>A fixed top of the y axis (1 for a ratio); when null, the largest value.</summary>
    [Parameter]
    public double? FixedTop { get; set; }

    /// <summary>Plot values on a log scale (latencies that differ by orders of magnitude).</summary>
    [Parameter]
    public bool LogScale { get; set; }

    /// <summary>Formats a value for the legend.</summary>
    [Parameter]
    public Func<double, string>? FormatValue { get; set; }

    /// <summary>The <c>data-testid</c> of the figure.</summary>
    [Parameter]
    public string? TestId { get; set; }

    private double Top => FixedTop ?? Math.Max(Lines.SelectMany(l => l.Values).DefaultIfEmpty(0).Max(), 1e-9);

    private string Format(double value) => FormatValue?.Invoke(value) ?? value.ToString("0.##", CultureInfo.InvariantCulture);

    private string Points(LoadChartLine line)
    {
        var top = Top;
        var builder = new StringBuilder();
        var count = Math.Min(line.Values.Count, Seconds.Count);
        for (var i = 0; i < count; i++)
        {
            var x = Math.Clamp(Seconds[i] / Math.Max(MaxSeconds, 1e-9), 0, 1) * Width;
            var y = Height - (Scale(line.Values[i], top) * Height);
            builder.Append(CultureInfo.InvariantCulture, $"{x:0.#},{y:0.#} ");
        }

        return builder.ToString();
    }

    private double Scale(double value, double top)
    {
        if (!LogScale)
        {
            return Math.Clamp(value / top, 0, 1);
        }

        // Log scale over six decades below the top, so 0.1 µs and 100 ms fit one chart.
        var floor = top / 1e6;
        return Math.Clamp(Math.Log10(Math.Max(value, floor) / floor) / Math.Log10(top / floor), 0, 1);
    }
}

/// <summary>One line of a <see cref="LoadChart"/>.</summary>
/// <param name="Name">The legend's name.</param>
/// <param name="Color">A CSS colour.</param>
/// <param name="Values">One value per sample.</param>
public sealed record LoadChartLine(string Name, string Color, IReadOnlyList<double> Values);
