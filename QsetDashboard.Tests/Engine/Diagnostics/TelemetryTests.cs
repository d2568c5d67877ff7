using System.Collections.Concurrent;
using System.Diagnostics;
using System.Diagnostics.Metrics;
using Qset.Caching;

namespace QsetDashboard.Tests.Engine.Diagnostics;

/// <summary>Telemetry the .NET way: tagged reads and a read-duration histogram on the meter, a miss's load as an activity.</summary>
public sealed class TelemetryTests
{
    [Fact]
    public async Task AMissAndAHit_AreCountedByEntityTypeBackendAndOutcome_AndTheMissIsTimed()
    {
        await using var host = await EngineOnlyHost.StartAsync();
        await host.AddBookAsync(1, "Dune");
        var factory = host.Get<IMeterFactory>();
        var measurements = new ConcurrentQueue<(string Instrument, double Value, Dictionary<string, object?> Tags)>();
        using var listener = new MeterListener();
        listener.InstrumentPublished = (instrument, l) =>
        {
            // This engine's meter only (the factory is its scope): other tests' engines publish the same names.
            if (instrument.Meter.Name == QsetTelemetry.MeterName && ReferenceEquals(instrument.Meter.Scope, factory)
                && instrument.Name is QsetTelemetry.Reads or QsetTelemetry.ReadDuration)
            {
                l.EnableMeasurementEvents(instrument);
            }
        };
        listener.SetMeasurementEventCallback<long>((i, v, tags, _) => measurements.Enqueue((i.Name, v, Tags(tags))));
        listener.SetMeasurementEventCallback<double>((i, v, tags, _) => measurements.Enqueue((i.Name, v, Tags(tags))));
        listener.Start();

        await host.Entities.FindAsync<Book>(1);
        await host.Entities.FindAsync<Book>(1);

        var reads = measurements.Where(m => m.Instrument == QsetTelemetry.Reads).ToList();
        Assert.Equal(["miss", "hit"], reads.Select(r => r.Tags[QsetTelemetry.OutcomeTag]));
        Assert.All(reads, r => Assert.Equal(("LibraryDb:Book", "Memory"), (r.Tags[QsetTelemetry.EntityTypeTag], r.Tags[QsetTelemetry.BackendTag])));
        var duration = Assert.Single(measurements, m => m.Instrument == QsetTelemetry.ReadDuration);
        Assert.True(duration.Value > 0, "the miss took some time");
    }

    [Fact]
    public async Task AMiss_IsTracedAsALoadActivity_WithItsKeyAndOutcome()
    {
        await using var host = await EngineOnlyHost.StartAsync();
        await host.AddBookAsync(1, "Dune");
        var stopped = new ConcurrentQueue<Activity>();
        using var listener = new ActivityListener
        {
            ShouldListenTo = source => source.Name == QsetTelemetry.ActivitySourceName,
            Sample = (ref ActivityCreationOptions<ActivityContext> _) => ActivitySamplingResult.AllDataAndRecorded,
            ActivityStopped = stopped.Enqueue,
        };
        ActivitySource.AddActivityListener(listener);

        // Other tests read LibraryDb:Book.1 at the same time: this test's own load is the one under its own trace.
        using var source = new ActivitySource("QsetDashboard.Tests");
        using var listenToTests = new ActivityListener
        {
            ShouldListenTo = s => s.Name == source.Name,
            Sample = (ref ActivityCreationOptions<ActivityContext> _) => ActivitySamplingResult.AllDataAndRecorded,
        };
        ActivitySource.AddActivityListener(listenToTests);
        using (var root = source.StartActivity("test"))
        {
            await host.Entities.FindAsync<Book>(1);
        }

        var load = Assert.Single(stopped, a => a.OperationName == QsetTelemetry.LoadActivity && a.Parent?.OperationName == "test" && a.Parent.Source.Name == source.Name);
        Assert.Equal("LibraryDb:Book.1", load.GetTagItem(QsetTelemetry.KeyTag));
        Assert.Equal("populated", load.GetTagItem(QsetTelemetry.OutcomeTag));
        Assert.Equal("LibraryDb:Book", load.GetTagItem(QsetTelemetry.EntityTypeTag));
    }

    private static Dictionary<string, object?> Tags(ReadOnlySpan<KeyValuePair<string, object?>> tags)
    {
        var copy = new Dictionary<string, object?>(StringComparer.Ordinal);
        foreach (var tag in tags)
        {
            copy[tag.Key] = tag.Value;
        }

        return copy;
    }
}
