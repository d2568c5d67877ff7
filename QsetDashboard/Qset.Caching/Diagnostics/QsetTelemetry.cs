using System.Diagnostics;
using System.Diagnostics.Metrics;

namespace Qset.Caching;

/// <summary>
/// The names Qset publishes its telemetry under, for OpenTelemetry's <c>AddMeter</c> and <c>AddSource</c>:
/// <code>
/// builder.Services.AddOpenTelemetry()
///     .WithMetrics(m => m.AddMeter(QsetTelemetry.MeterName))
///     .WithTracing(t => t.AddSource(QsetTelemetry.ActivitySourceName));
/// </code>
/// </summary>
public static class QsetTelemetry
{
    /// <summary>The meter: counters of every event kind, reads by outcome, the read-duration histogram, entries held.</summary>
    public const string MeterName = "Qset.Caching";

    /// <summary>The activity source: a miss's database load and populate, and invalidations.</summary>
    public const string ActivitySourceName = "Qset.Caching";

    /// <summary>Reads, tagged with <see cref="EntityTypeTag"/>, <see cref="BackendTag"/> and <see cref="OutcomeTag"/> (<c>hit</c> or <c>miss</c>).</summary>
    public const string Reads = "qset.cache.reads";

    /// <summary>How long a read that went to the database took, in seconds, with the same tags (hits are not timed: a clock read costs as much as a hit).</summary>
    public const string ReadDuration = "qset.cache.read.duration";

    /// <summary>The activity of a miss's database read and populate.</summary>
    public const string LoadActivity = "qset.cache.load";

    /// <summary>The activity of an invalidation.</summary>
    public const string InvalidateActivity = "qset.cache.invalidate";

    /// <summary>The tag of the entity type read (<c>User</c>, <c>Query</c>).</summary>
    public const string EntityTypeTag = "qset.entity_type";

    /// <summary>The tag of the store (<c>Memory</c>, <c>Redis</c>, <c>Hybrid</c>).</summary>
    public const string BackendTag = "qset.backend";

    /// <summary>The tag of a read's outcome (<c>hit</c>, <c>miss</c>), or a load's (<c>populated</c>, <c>rejected</c>, <c>not_found</c>, <c>failed</c>).</summary>
    public const string OutcomeTag = "qset.outcome";

    /// <summary>The tag of the cache key on activities.</summary>
    public const string KeyTag = "qset.key";

    /// <summary>The source every activity of the engine starts from.</summary>
    internal static readonly ActivitySource Source = new(ActivitySourceName);
}
