using System.Globalization;
using Microsoft.AspNetCore.Components;
using MudBlazor;
using QsetDashboard.Load;

namespace QsetDashboard.Components.Pages;

/// <summary>The load lab: a form for a workload, its live charts, and the run's summary.</summary>
public sealed partial class LoadLab : IDisposable
{
    // Snapshots arrive every 250 ms; the cap keeps a burst (the final snapshot right after the last) to ≤10 renders/s.
    private static readonly TimeSpan MinRenderInterval = TimeSpan.FromMilliseconds(100);

    private readonly LoadForm _model = new();
    private readonly Lock _gate = new();
    private readonly List<double> _seconds = [];
    private readonly List<double> _cachedOps = [];
    private readonly List<double> _uncachedOps = [];
    private readonly List<double> _hitRatio = [];
    private readonly List<double> _cachedP50 = [];
    private readonly List<double> _cachedP99 = [];
    private readonly List<double> _uncachedP50 = [];
    private readonly List<double> _uncachedP99 = [];
    private MudForm _form = null!;
    private bool _isValid = true;
    private CancellationTokenSource? _run;
    private LoadSnapshot? _latest;
    private LoadResult? _result;
    private string? _error;
    private double _runSeconds = 10;
    private long _lastRender;
    private bool _interactive;

    /// <summary>The workload generator.</summary>
    [Inject]
    public required LoadGenerator Generator { get; init; }

    /// <summary>The clock renders are throttled by.</summary>
    [Inject]
    public required TimeProvider TimeProvider { get; init; }

    private bool IsRunning => _run is not null;

    private string Status => (_run, _latest, _result) switch
    {
        (not null, null, _) => "Preparing the users and starting the clients…",
        (not null, { } s, _) => string.Create(CultureInfo.InvariantCulture, $"Running: {s.Elapsed.TotalSeconds:0.0} s of {_runSeconds:0.#} s"),
        (null, _, { Cancelled: true }) => "Cancelled.",
        (null, _, not null) => "Completed.",
        _ => "Not started.",
    };

    /// <inheritdoc />
    public void Dispose()
    {
        // Leaving the page stops its run.
        _run?.Cancel();
    }

    /// <inheritdoc />
    protected override void OnAfterRender(bool firstRender)
    {
        // The prerendered page has no circuit yet: Start stays disabled until a click can reach it.
        if (firstRender)
        {
            _interactive = true;
            StateHasChanged();
        }
    }

    private static string? ValidateDurationSeconds(double seconds) =>
        double.IsFinite(seconds) ? LoadSettings.ValidateDuration(TimeSpan.FromSeconds(Math.Clamp(seconds, -1, 1e6))) : "Duration must be a number of seconds.";

    private string? ValidateZipf(double exponent) =>
        _model.Distribution == KeyDistribution.Zipf ? LoadSettings.ValidateZipfExponent(exponent) : null;

    private static string Describe(LoadSettings s) => string.Create(CultureInfo.InvariantCulture,
        $"{s.Clients} clients, {s.Duration.TotalSeconds:0.#} s, {s.ReadPercent} % reads, {s.KeyCount} keys, {(s.Distribution == KeyDistribution.Zipf ? $"Zipf s={s.ZipfExponent:0.##}" : "uniform")}");

    private static string FormatMicroseconds(double microseconds) => microseconds switch
    {
        >= 1_000 => string.Create(CultureInfo.InvariantCulture, $"{microseconds / 1_000:0.##} ms"),
        _ => string.Create(CultureInfo.InvariantCulture, $"{microseconds:0.##} µs"),
    };

    private async Task StartAsync()
    {
        await _form.ValidateAsync();
        if (!_form.IsValid || IsRunning)
        {
            return;
        }

        var settings = _model.ToSettings();
        lock (_gate)
        {
            foreach (var list in new[] { _seconds, _cachedOps, _uncachedOps, _hitRatio, _cachedP50, _cachedP99, _uncachedP50, _uncachedP99 })
            {
                list.Clear();
            }

            _latest = null;
        }

        _result = null;
        _error = null;
        _runSeconds = settings.Duration.TotalSeconds;
        using var run = new CancellationTokenSource();
        _run = run;
        try
        {
            _result = await Generator.RunAsync(settings, OnSnapshot, run.Token);
        }
        catch (Exception ex) when (ex is ArgumentException or InvalidOperationException)
        {
            _error = ex.Message;
        }
        finally
        {
            _run = null;
        }
    }

    private void Cancel() => _run?.Cancel();

    private void OnSnapshot(LoadSnapshot snapshot)
    {
        lock (_gate)
        {
            _latest = snapshot;
            if (snapshot.Elapsed.TotalSeconds > (_seconds.Count == 0 ? -1 : _seconds[^1]))
            {
                _seconds.Add(snapshot.Elapsed.TotalSeconds);
                _cachedOps.Add(snapshot.CachedOpsPerSecond);
                _uncachedOps.Add(snapshot.UncachedOpsPerSecond);
                _hitRatio.Add(snapshot.HitRatio);
                _cachedP50.Add(snapshot.CachedP50Us);
                _cachedP99.Add(snapshot.CachedP99Us);
                _uncachedP50.Add(snapshot.UncachedP50Us);
                _uncachedP99.Add(snapshot.UncachedP99Us);
            }
        }

        var now = TimeProvider.GetTimestamp();
        var last = Interlocked.Read(ref _lastRender);
        if (TimeProvider.GetElapsedTime(last, now) >= MinRenderInterval && Interlocked.CompareExchange(ref _lastRender, now, last) == last)
        {
            _ = InvokeAsync(StateHasChanged);
        }
    }

    /// <summary>The form's fields; the page turns them into <see cref="LoadSettings"/>.</summary>
    private sealed class LoadForm
    {
        public int Clients { get; set; } = 4;

        public double DurationSeconds { get; set; } = 10;

        public int ReadPercent { get; set; } = 90;

        public int KeyCount { get; set; } = 1_000;

        public KeyDistribution Distribution { get; set; } = KeyDistribution.Zipf;

        public double ZipfExponent { get; set; } = 1.0;

        public LoadSettings ToSettings() => new()
        {
            Clients = Clients,
            Duration = TimeSpan.FromSeconds(DurationSeconds),
            ReadPercent = ReadPercent,
            KeyCount = KeyCount,
            Distribution = Distribution,
            ZipfExponent = ZipfExponent,
        };
    }
}
