using Qset.Caching;
using QsetDashboard.Data;
using QsetDashboard.Styles;

namespace QsetDashboard.Demos;

/// <summary>
/// The cache-aside race, played out deterministically: a slow reader misses and reads the row, a writer commits
/// and invalidates, then the reader populates what it read. With the guard off the old value stays cached after
/// the write; with the guard on the populate is refused (REJECT) and the next read is fresh.
/// </summary>
/// <remarks>
/// Each walk (<see cref="DemoRun"/>) has a reader of its own. Walks share user 7, so a walk that starts its reader first
/// lets any other walk's stalled reader finish: it never joins (and waits on) another walk's database read.
/// </remarks>
public sealed class RaceLabDemo(QsetCache engine, GenericCache cache, EntityRepository repository) : DemoScenario
{
    /// <summary>The id of the user the race is run on.</summary>
    public const int Id = DemoIds.RaceLabUserId;

    private static readonly CacheReadPolicy s_guarded = CacheReadPolicy.ById<User>();
    private static readonly CacheReadPolicy s_unguarded = CacheReadPolicy.ById<User>() with { PopulateGuard = false };

    private readonly System.Runtime.CompilerServices.ConditionalWeakTable<DemoRun, Walk> _walks = [];
    private readonly System.Collections.Concurrent.ConcurrentDictionary<Walk, bool> _stalled = new();
    private readonly Walk _unattached = new();

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
        await ReleaseAsync(Current).ConfigureAwait(false);
        await ResetRowAsync<User>(repository, engine, Id, Keys[0], cancellationToken);
    }

    // Steps run through a DemoRun; a step run on its own (a test calling Steps[i].Run) gets a walk of its own too.
    private Walk Current => DemoRun.Current is { } run ? _walks.GetValue(run, static _ => new Walk()) : _unattached;

    private async Task<string?> StartReaderAsync(bool guarded, CancellationToken cancellationToken)
    {
        // Another walk's stalled reader holds the key's database read, and would populate it once let go: let it
        // finish now, then clear what it cached, so this walk's reader misses and reads the row itself.
        var others = _stalled.Keys.ToList();
        foreach (var other in others)
        {
            await ReleaseAsync(other).ConfigureAwait(false);
        }

        if (others.Count > 0)
        {
            await engine.InvalidateAsync(Keys[0], nameof(User), "race lab: another walk's reader let go", cancellationToken);
        }

        var walk = Current;
        walk.ReadDone = new(TaskCreationOptions.RunContinuationsAsynchronously);
        walk.Resume = new(TaskCreationOptions.RunContinuationsAsynchronously);
        walk.ReaderSaw = null;
        lock (walk.ReaderEvents)
        {
            walk.ReaderEvents.Clear();
        }

        // The reader gets a capture of its own, so its late POPULATE or REJECT is shown in the step that resumes it.
        using (CacheContext.Capture(Name, walk.ReaderEvents))
        {
            _stalled[walk] = true;
            var policy = guarded ? s_guarded : s_unguarded;
            walk.Reader = engine.GetAsync(Keys[0], (Lab: this, Walk: walk), static (s, ct) => s.Lab.SlowReadAsync(s.Walk, ct), policy, CancellationToken.None).AsTask();
        }

        // A reader that finds the key cached (put there by another walk between two steps) never reads: nothing to race.
        await Task.WhenAny(walk.ReadDone.Task, walk.Reader).WaitAsync(cancellationToken);
        ForwardReaderEvents(walk);
        if (!walk.ReadDone.Task.IsCompleted)
        {
            _stalled.TryRemove(walk, out _);
            return $"Reader found name={(await walk.Reader).Value?.Name} already cached (another walk of the race lab put it there): nothing to race";
        }

        return $"Reader read name={walk.ReaderSaw} from the database and has not populated yet";
    }

    private async Task<User?> SlowReadAsync(Walk walk, CancellationToken cancellationToken)
    {
        var user = await repository.FindAsync<User>(Id, cancellationToken);
        walk.ReaderSaw = user?.Name;
        walk.ReadDone.TrySetResult();
        await walk.Resume.Task;
        return user;
    }

    private async Task<string?> ResumeReaderAsync(CancellationToken cancellationToken)
    {
        var walk = Current;
        if (walk.Reader is null)
        {
            return "No reader is waiting";
        }

        var wasReleased = !_stalled.ContainsKey(walk);
        await ReleaseAsync(walk).ConfigureAwait(false);
        ForwardReaderEvents(walk);
        var cached = await engine.Store.GetAsync(Keys[0], cancellationToken);
        var outcome = cached?.Value is User held
            ? $"Reader populated name={held.Name}"
            : $"Reader's populate of name={walk.ReaderSaw} was rejected: nothing cached";
        return wasReleased ? $"{outcome} (another walk of the race lab let this reader finish early)" : outcome;
    }

    /// <summary>Lets <paramref name="walk"/>'s stalled reader finish (populate or be rejected) and waits for it.</summary>
    private async Task ReleaseAsync(Walk walk)
    {
        walk.Resume.TrySetResult();
        if (walk.Reader is { } reader)
        {
            await reader.ConfigureAwait(false);
        }

        _stalled.TryRemove(walk, out _);
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

    private static void ForwardReaderEvents(Walk walk)
    {
        CacheEvent[] events;
        lock (walk.ReaderEvents)
        {
            events = [.. walk.ReaderEvents];
            walk.ReaderEvents.Clear();
        }

        foreach (var cacheEvent in events)
        {
            CacheContext.Observe(cacheEvent);
        }
    }

    /// <summary>One walk's reader: its captured events, the two handshakes with it, and what it read.</summary>
    private sealed class Walk
    {
        public List<CacheEvent> ReaderEvents { get; } = [];

        public TaskCompletionSource ReadDone { get; set; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public TaskCompletionSource Resume { get; set; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public Task<CacheRead<User>>? Reader { get; set; }

        public string? ReaderSaw { get; set; }
    }
}
