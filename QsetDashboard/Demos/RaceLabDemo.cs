using Qset.Caching;
using QsetDashboard.Data;
using QsetDashboard.Styles;

namespace QsetDashboard.Demos;

/// <summary>
/// The cache-aside race, played out deterministically: a slow reader misses and reads the row, a writer commits
/// and invalidates, then the reader populates what it read. With the guard off the old value stays cached after
/// the write; with the guard on the populate is refused (REJECT) and the next read is fresh.
/// </summary>
/// <remarks>The reader's progress lives in this scenario, so one walk of the race lab runs at a time.</remarks>
public sealed class RaceLabDemo(QsetCache engine, GenericCache cache, EntityRepository repository) : DemoScenario
{
    /// <summary>The id of the user the race is run on.</summary>
    public const int Id = DemoIds.RaceLabUserId;

    private readonly List<CacheEvent> _readerEvents = [];
    private TaskCompletionSource _readDone = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private TaskCompletionSource _resume = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private Task<CacheRead<User>>? _reader;
    private string? _readerSaw;

    /// <inheritdoc />
    public override string Name => "race-lab";

    /// <inheritdoc />
    public override string Title => "Race lab (stale populate, with the guard off and on)";

    /// <inheritdoc />
    public override string Description =>
        "A slow reader and a writer interleaved step by step. Guard off: the reader's old value is cached after the write. Guard on: the populate is rejected and the next read is fresh.";

    /// <inheritdoc />
    public override string Header => $"Testing the cache-aside race on user id={Id} using the {engine.Store.Name} store ...";

    /// <inheritdoc />
    public override IReadOnlyList<string> Keys { get; } = [CacheKeys.For<User>(Id)];

    /// <inheritdoc />
    public override IReadOnlyList<DemoStep> Steps => field ??=
    [
        new($"Creating user with id={Id} name=v1", async ct => { await cache.SetAsync(Id, new User { Name = "v1" }, ct); return null; }),
        new("Guard OFF: a slow reader misses, reads the row, and stalls before populating", ct => StartReaderAsync(guarded: false, ct)),
        new($"A writer updates user id={Id} to name=v2, commits and invalidates", async ct => { await cache.SetAsync(Id, new User { Name = "v2" }, ct); return null; }),
        new("The slow reader resumes and populates what it read", ResumeReaderAsync),
        new($"Get of user id={Id} after the write", ReadAndCompareAsync),
        new("Guard ON: the key is cleared; a slow reader misses, reads the row, and stalls", async ct =>
        {
            await engine.InvalidateAsync(Keys[0], nameof(User), "race lab: second round", ct);
            return await StartReaderAsync(guarded: true, ct);
        }),
        new($"A writer updates user id={Id} to name=v3, commits and invalidates", async ct => { await cache.SetAsync(Id, new User { Name = "v3" }, ct); return null; }),
        new("The slow reader resumes and tries to populate what it read", ResumeReaderAsync),
        new($"Get of user id={Id} after the write", ReadAndCompareAsync),
    ];

    /// <inheritdoc />
    public override async Task ResetAsync(CancellationToken cancellationToken)
    {
        _resume.TrySetResult();
        if (_reader is not null)
        {
            await _reader.ConfigureAwait(false);
        }

        _reader = null;
        _readerSaw = null;
        _readerEvents.Clear();
        await ResetRowAsync<User>(repository, engine, Id, Keys[0], cancellationToken);
    }

    private async Task<string?> StartReaderAsync(bool guarded, CancellationToken cancellationToken)
    {
        _readDone = new(TaskCreationOptions.RunContinuationsAsynchronously);
        _resume = new(TaskCreationOptions.RunContinuationsAsynchronously);
        lock (_readerEvents)
        {
            _readerEvents.Clear();
        }

        // The reader gets a capture of its own, so its late POPULATE or REJECT is shown in the step that resumes it.
        using (CacheContext.Capture(Name, _readerEvents))
        using (guarded ? null : CacheContext.WithoutPopulateGuard())
        {
            _reader = engine.GetAsync(Keys[0], this, static (lab, ct) => lab.SlowReadAsync(ct), CancellationToken.None).AsTask();
        }

        await _readDone.Task.WaitAsync(cancellationToken);
        ForwardReaderEvents();
        return $"Reader read name={_readerSaw} from the database and has not populated yet";
    }

    private async Task<User?> SlowReadAsync(CancellationToken cancellationToken)
    {
        var user = await repository.FindAsync<User>(Id, cancellationToken);
        _readerSaw = user?.Name;
        _readDone.TrySetResult();
        await _resume.Task;
        return user;
    }

    private async Task<string?> ResumeReaderAsync(CancellationToken cancellationToken)
    {
        if (_reader is null)
        {
            return "No reader is waiting";
        }

        _resume.TrySetResult();
        await _reader.WaitAsync(cancellationToken);
        ForwardReaderEvents();
        var cached = await engine.Store.GetAsync(Keys[0], cancellationToken);
        return cached?.Value is User held
            ? $"Reader populated name={held.Name}"
            : $"Reader's populate of name={_readerSaw} was rejected: nothing cached";
    }

    private async Task<string?> ReadAndCompareAsync(CancellationToken cancellationToken)
    {
        var read = await cache.ReadAsync<User>(Id, cancellationToken);
        var row = await repository.FindAsync<User>(Id, cancellationToken);
        var got = SeedSteps.Got(read.Value);
        return read.Value?.Name == row?.Name
            ? $"{got} (fresh: the database holds name={row?.Name})"
            : $"{got} (STALE: the database holds name={row?.Name})";
    }

    private void ForwardReaderEvents()
    {
        CacheEvent[] events;
        lock (_readerEvents)
        {
            events = [.. _readerEvents];
            _readerEvents.Clear();
        }

        foreach (var cacheEvent in events)
        {
            CacheContext.Observe(cacheEvent);
        }
    }
}
