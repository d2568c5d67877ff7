using System.Diagnostics;
using System.Diagnostics.Metrics;
using Microsoft.Extensions.Options;

namespace Qset.Caching;

/// <summary>
/// Reads by outcome and the duration of reads that went to the database, tagged by entity type, backend and outcome,
/// on the <see cref="QsetTelemetry.MeterName"/> meter. Recorded only while someone listens, so a hit pays one flag read.
/// </summary>
internal sealed class ReadTelemetry
{
    private readonly Counter<long> _reads;
    private readonly Histogram<double> _readDuration;
    private readonly string _backend;

    /// <summary>Creates the instruments on the engine's meter.</summary>
    public ReadTelemetry(IMeterFactory meterFactory, IOptions<CacheOptions> options)
    {
        ArgumentNullException.ThrowIfNull(meterFactory);
        ArgumentNullException.ThrowIfNull(options);
        var meter = meterFactory.Create(QsetTelemetry.MeterName);
        _reads = meter.CreateCounter<long>(QsetTelemetry.Reads, "{read}", "Reads, by entity type, backend and outcome");
        _readDuration = meter.CreateHistogram<double>(QsetTelemetry.ReadDuration, "s", "How long reads that went to the database took");
        _backend = options.Value.Backend.ToString();
    }

    /// <summary>Counts a hit of <paramref name="entityType"/>.</summary>
    public void Hit(string entityType)
    {
        if (_reads.Enabled)
        {
            _reads.Add(1, Tags(entityType, "hit"));
        }
    }

    /// <summary>Counts a read of <paramref name="entityType"/> that fail-safe answered with a value past its TTL.</summary>
    public void Stale(string entityType)
    {
        if (_reads.Enabled)
        {
            _reads.Add(1, Tags(entityType, "stale"));
        }
    }

    /// <summary>Counts a miss of <paramref name="entityType"/> whose read took <paramref name="duration"/>.</summary>
    public void Miss(string entityType, TimeSpan duration)
    {
        if (_reads.Enabled)
        {
            _reads.Add(1, Tags(entityType, "miss"));
        }

        if (_readDuration.Enabled)
        {
            _readDuration.Record(duration.TotalSeconds, Tags(entityType, "miss"));
        }
    }

    private TagList Tags(string entityType, string outcome) => new()
    {
        { QsetTelemetry.EntityTypeTag, entityType },
        { QsetTelemetry.BackendTag, _backend },
        { QsetTelemetry.OutcomeTag, outcome },
    };
}
