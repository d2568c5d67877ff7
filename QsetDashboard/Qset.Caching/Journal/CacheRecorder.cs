using Microsoft.Extensions.Logging;

namespace Qset.Caching;

/// <summary>
/// The one place a cache event is made: it is counted, appended to the journal, handed to the ambient capture,
/// and logged (<c>CACHE HIT key=User.1</c>).
/// </summary>
internal sealed partial class CacheRecorder
{
    private readonly EventJournal _journal;
    private readonly CacheCounters _counters;
    private readonly ILogger<CacheRecorder> _logger;
    private readonly ReadTelemetry? _telemetry;
    private readonly TimeProviderClock _clock;
    private readonly TimeProvider _timeProvider;
    private readonly LogLevel _eventLogLevel;

    // Whether HITs are logged, asked of the logger at most once a second: a log-level change applies within a second,
    // and a hit skips the logger's own check, which costs as much as a tenth of the hit.
    private long _hitLogCheckDueTicks;
    private bool _logHits;

    /// <summary>Records into <paramref name="journal"/>, counting in <paramref name="counters"/>, which count the journal's buffered hits too.</summary>
    /// <remarks>Each event is logged at <paramref name="eventLogLevel"/> (<see cref="CacheOptions.EventLogLevel"/>).</remarks>
    public CacheRecorder(
        EventJournal journal,
        CacheCounters counters,
        TimeProvider timeProvider,
        ILogger<CacheRecorder> logger,
        ReadTelemetry? telemetry = null,
        LogLevel eventLogLevel = LogLevel.Debug)
    {
        _eventLogLevel = eventLogLevel;
        _journal = journal;
        _counters = counters;
        _logger = logger;
        _telemetry = telemetry;
        _timeProvider = timeProvider;
        _clock = new TimeProviderClock(timeProvider);

        // A hit waits in the journal's buffers and is counted there (RecordHit counts none of its own).
        counters.CountBufferedHitsOf(journal);
    }

    /// <summary>The clock events are stamped with.</summary>
    internal TimeProviderClock Clock => _clock;

    /// <summary>
    /// This recorder's clock when <paramref name="timeProvider"/> is the one it reads, else a clock of its own: a store
    /// that hands its TTL-check time to <see cref="RecordHit(string, string, long)"/> stamps hits on the events' clock.
    /// </summary>
    internal TimeProviderClock ClockOver(TimeProvider timeProvider) =>
        ReferenceEquals(timeProvider, _timeProvider) ? _clock : new TimeProviderClock(timeProvider);

    /// <summary>The journal events go to.</summary>
    public EventJournal Journal => _journal;

    /// <summary>The counters events are counted in.</summary>
    public CacheCounters Counters => _counters;

    /// <summary>The tagged read metrics, when the meter is wired.</summary>
    internal ReadTelemetry? Telemetry => _telemetry;

    /// <summary>Records one event and returns it with its sequence number.</summary>
    public CacheEvent Record(
        CacheEventKind kind,
        string key,
        string? entityType,
        TimeSpan duration = default,
        string? detail = null,
        string? source = null,
        long count = 1)
    {
        _counters.Count(kind);
        var ambientSource = CacheContext.Current(out var capture);
        var cacheEvent = _journal.Append(new CacheEvent(0, _clock.UtcNow, kind, key, entityType, source ?? ambientSource, duration, detail, count));
        if (capture is not null)
        {
            CacheContext.Observe(capture, cacheEvent);
        }

        Log(kind, key, detail);
        return cacheEvent;
    }

    /// <summary>The detail of each key's INVALIDATE in a flush (not a write to a table: the savings ledger leaves it out).</summary>
    internal const string FlushDetail = "flush";

    /// <summary>How the detail of each key's INVALIDATE in a Hybrid node's L1 clear begins (not a write either).</summary>
    internal const string L1ClearDetail = "L1 cleared: ";

    /// <summary>How many events of one kind a bulk operation records one by one; past it, one event counts them all.</summary>
    internal const int OneByOne = 100;

    /// <summary>
    /// Records one event per key of <paramref name="keys"/> up to <see cref="OneByOne"/> of them, or else one event
    /// that counts them all (<see cref="RecordSummary"/>, its detail <paramref name="summary"/>).
    /// </summary>
    internal void RecordEach(CacheEventKind kind, IReadOnlyList<string> keys, string? entityType, string? detail, string summary, string? source = null)
    {
        if (keys.Count > OneByOne)
        {
            RecordSummary(kind, keys.Count, summary, source, entityType);
            return;
        }

        foreach (var key in keys)
        {
            Record(kind, key, entityType, detail: detail, source: source);
        }
    }

    /// <summary>The key of an event that stands for many (<see cref="RecordSummary"/>): every key of its entity type, or of the store when it names none.</summary>
    internal const string SummaryKey = "*";

    /// <summary>
    /// Records <paramref name="events"/> events of one kind as one (key <c>*</c>, the number its <see cref="CacheEvent.Count"/> and its detail), counted as
    /// that many: a drop of a million L1 copies fills neither the journal nor its subscribers with a million events,
    /// and pushes no DEGRADED or RECOVERED out of the journal.
    /// </summary>
    internal CacheEvent RecordSummary(CacheEventKind kind, long events, string detail, string? source = null, string? entityType = null)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(events, 1);
        _counters.CountMany(kind, events - 1);
        return Record(kind, SummaryKey, entityType, detail: detail, source: source, count: events);
    }

    /// <summary>
    /// <see cref="Record"/> for the hit path: the event is built in its journal slot and not returned, which
    /// saves copying it twice (it is 80 bytes).
    /// </summary>
    internal void RecordHit(string key, string entityType) => RecordHit(key, entityType, _clock.UtcNow.UtcTicks);

    /// <summary>
    /// <see cref="RecordHit(string, string)"/> at <paramref name="utcTicks"/>, a reading of this recorder's
    /// <see cref="Clock"/> the caller already made (the memory store's TTL check), so the hit reads the clock once.
    /// </summary>
    internal void RecordHit(string key, string entityType, long utcTicks)
    {
        _telemetry?.Hit(entityType);
        var source = CacheContext.CurrentForHit(out var capture);
        var timestamp = new DateTimeOffset(utcTicks, TimeSpan.Zero);
        if (capture is null)
        {
            // Counted by the buffer it waits in (CacheCounters.CountBufferedHitsOf).
            _journal.AppendHit(timestamp, key, entityType, source);
        }
        else
        {
            // A capture is ordered by sequence: its hits take their number now.
            _counters.Count(CacheEventKind.Hit);
            var sequence = _journal.Append(timestamp, CacheEventKind.Hit, key, entityType, source, TimeSpan.Zero, null);
            CacheContext.Observe(capture, new CacheEvent(sequence, timestamp, CacheEventKind.Hit, key, entityType, source, TimeSpan.Zero, null));
        }

        if (timestamp.UtcTicks >= Volatile.Read(ref _hitLogCheckDueTicks))
        {
            _logHits = _logger.IsEnabled(_eventLogLevel);
            Volatile.Write(ref _hitLogCheckDueTicks, timestamp.UtcTicks + TimeSpan.TicksPerSecond);
        }

        if (_logHits)
        {
            LogEvent(_logger, _eventLogLevel, CacheEventKind.Hit.Label(), key);
        }
    }

    private void Log(CacheEventKind kind, string key, string? detail)
    {
        if (_logger.IsEnabled(_eventLogLevel))
        {
            if (detail is null)
            {
                LogEvent(_logger, _eventLogLevel, kind.Label(), key);
            }
            else
            {
                LogEventWithDetail(_logger, _eventLogLevel, kind.Label(), key, detail);
            }
        }
    }

    /// <summary>An <c>ERROR</c> for a cached value some code changed after reading it, and a warning in the log whatever the event level.</summary>
    internal void RecordMutated(string key, string entityType, string detail)
    {
        Record(CacheEventKind.Error, key, entityType, detail: detail);
        Mutated(_logger, key, detail);
    }

    [LoggerMessage(EventId = 3, Level = LogLevel.Warning, Message = "Cached value changed after it was cached, key={Key}: {Detail}")]
    private static partial void Mutated(ILogger logger, string key, string detail);

    [LoggerMessage(EventId = 1, Message = "CACHE {Kind} key={Key}")]
    private static partial void LogEvent(ILogger logger, LogLevel level, string kind, string key);

    [LoggerMessage(EventId = 2, Message = "CACHE {Kind} key={Key} ({Detail})")]
    private static partial void LogEventWithDetail(ILogger logger, LogLevel level, string kind, string key, string detail);
}
