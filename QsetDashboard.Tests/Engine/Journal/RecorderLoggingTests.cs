using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Qset.Caching;

namespace QsetDashboard.Tests.Engine.Journal;

public sealed class RecorderLoggingTests
{
    private sealed class ListLogger : ILogger<CacheRecorder>
    {
        public List<string> Lines { get; } = [];

        public LogLevel Minimum { get; set; } = LogLevel.Information;

        public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => logLevel >= Minimum;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            if (IsEnabled(logLevel))
            {
                Lines.Add(formatter(state, exception));
            }
        }
    }

    [Fact]
    public void Events_AreLoggedInTheSeedsFormat_HitsIncluded_AtTheLevelAsked()
    {
        var logger = new ListLogger();
        using var journal = new EventJournal(64, NullLogger<EventJournal>.Instance);
        var recorder = new CacheRecorder(journal, new CacheCounters(), TimeProvider.System, logger, eventLogLevel: LogLevel.Information);

        recorder.Record(CacheEventKind.Miss, "User.1", "User");
        recorder.RecordHit("User.1", "User");
        recorder.Record(CacheEventKind.Reject, "User.1", "User", detail: "stale");

        Assert.Equal(["CACHE MISS key=User.1", "CACHE HIT key=User.1", "CACHE REJECT key=User.1 (stale)"], logger.Lines);
    }

    [Fact]
    public void ByDefault_EventsAreLoggedAtDebug_SoAHostLoggingAtInformationWritesNoLinePerHit()
    {
        var logger = new ListLogger();
        using var journal = new EventJournal(64, NullLogger<EventJournal>.Instance);
        var recorder = new CacheRecorder(journal, new CacheCounters(), TimeProvider.System, logger);

        recorder.Record(CacheEventKind.Miss, "User.1", "User");
        recorder.RecordHit("User.1", "User");
        Assert.Empty(logger.Lines);

        logger.Minimum = LogLevel.Debug;
        recorder.Record(CacheEventKind.Populate, "User.1", "User");
        Assert.Equal(["CACHE POPULATE key=User.1"], logger.Lines);
        Assert.Equal(3, journal.Count);
    }

    [Fact]
    public void Hits_AreNotLogged_WhenTheirLevelIsOff()
    {
        var logger = new ListLogger { Minimum = LogLevel.Warning };
        using var journal = new EventJournal(64, NullLogger<EventJournal>.Instance);
        var recorder = new CacheRecorder(journal, new CacheCounters(), TimeProvider.System, logger, eventLogLevel: LogLevel.Information);

        recorder.RecordHit("User.1", "User");

        Assert.Empty(logger.Lines);
        Assert.Equal(1, journal.Count);
    }
}
