using System.Diagnostics.Metrics;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Qset.Caching;

namespace QsetDashboard.Tests.Engine;

public sealed class OptionsAndMetricsTests
{
    [Theory]
    [InlineData("Qset:Capacity", "0", "Qset:Capacity must be between 1 and 1000000")]
    [InlineData("Qset:DefaultTtl", "-00:00:01", "Qset:DefaultTtl must be a positive time span")]
    [InlineData("Qset:JournalCapacity", "3", "Qset:JournalCapacity must be between 16")]
    [InlineData("Qset:EventLogLevel", "42", "Qset:EventLogLevel must be one of Trace, Debug, Information")]
    public async Task InvalidOptions_FailWithAMessageNamingTheKey(string key, string value, string message)
    {
        // The DbContext's interceptors need the engine, so the failure may come as early as the schema's creation at
        // start. The message names the key as the host wrote it: under the section it bound (here "Qset").
        var error = await Assert.ThrowsAsync<OptionsValidationException>(async () =>
        {
            await using var host = await EngineOnlyHost.StartAsync(s => s[key] = value);
            _ = host.Get<IOptions<CacheOptions>>().Value;
        });

        Assert.Contains(message, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Meter_PublishesTheCounters()
    {
        await using var host = await EngineOnlyHost.StartAsync();
        var metrics = host.Get<CacheMetrics>();
        await host.AddBookAsync(1, "Dune");
        await host.Entities.FindAsync<Book>(1);
        await host.Entities.FindAsync<Book>(1);
        var readings = new Dictionary<string, long>();
        using var listener = new MeterListener();
        listener.InstrumentPublished = (instrument, l) =>
        {
            // This engine's observable instruments only: other tests' engines publish the same names at the same time.
            if (instrument.Meter.Name == CacheMetrics.MeterName && ReferenceEquals(instrument.Meter.Scope, host.Get<System.Diagnostics.Metrics.IMeterFactory>())
                && instrument.IsObservable)
            {
                l.EnableMeasurementEvents(instrument);
            }
        };
        listener.SetMeasurementEventCallback<long>((instrument, value, _, _) => readings[instrument.Name] = value);
        listener.SetMeasurementEventCallback<int>((instrument, value, _, _) => readings[instrument.Name] = value);
        listener.Start();

        listener.RecordObservableInstruments();

        Assert.Equal(1, readings["qset.cache.hits"]);
        Assert.Equal(1, readings["qset.cache.misses"]);
        Assert.Equal(1, readings["qset.cache.db_queries"]);
        Assert.Equal(1, readings["qset.cache.entries"]);
        Assert.Equal(100, readings["qset.cache.capacity"]);
        var stats = host.Cache.GetStats();
        Assert.Equal(0.5, stats.HitRatio);
        Assert.NotNull(metrics);
    }
}
