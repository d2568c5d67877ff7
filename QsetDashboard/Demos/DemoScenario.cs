using Microsoft.EntityFrameworkCore;
using Qset.Caching;
using QsetDashboard.Data;

namespace QsetDashboard.Demos;

/// <summary>One step of a scenario: a title in the seed's words, and the work, which returns the result line (or null).</summary>
public sealed record DemoStep(string Title, Func<CancellationToken, Task<string?>> Run);

/// <summary>
/// A scripted walk through the engine, in named steps, like the seed's test runs. A scenario is stateless;
/// <see cref="DemoRun"/> holds one walk's position and transcript.
/// </summary>
public abstract class DemoScenario
{
    /// <summary>The scenario's URL name (<c>simple</c>).</summary>
    public abstract string Name { get; }

    /// <summary>A short human title.</summary>
    public abstract string Title { get; }

    /// <summary>What the scenario shows, in a sentence or two.</summary>
    public abstract string Description { get; }

    /// <summary>The transcript's first line, as the seed's log opens each run.</summary>
    public abstract string Header { get; }

    /// <summary>The word the transcript writes before an event kind: the seed's simple run logs <c>Cache HIT</c>, the others <c>CACHE HIT</c>.</summary>
    public virtual string EventPrefix => "CACHE";

    /// <summary>The cache keys the scenario works on; the dashboard shows these beside the steps.</summary>
    public abstract IReadOnlyList<string> Keys { get; }

    /// <summary>
    /// For a scenario whose keys cannot be named in advance (a cached query's key holds a hash of its SQL), the page
    /// of the store that holds them; null when <see cref="Keys"/> names them all.
    /// </summary>
    public virtual Qset.Caching.CacheListQuery? KeyQuery => null;

    /// <summary>The steps, in order.</summary>
    public abstract IReadOnlyList<DemoStep> Steps { get; }

    /// <summary>
    /// Held by every walk while it runs a step (an API run: all its steps), so two walks never interleave their
    /// writes to the scenario's rows. <see cref="DemoCatalog"/> hands one gate to all its scenarios, which share
    /// user 1 and team 1.
    /// </summary>
    internal SemaphoreSlim RunGate { get; set; } = new(1, 1);

    /// <summary>Puts the scenario's rows and keys back to the state before its first step.</summary>
    public abstract Task ResetAsync(CancellationToken cancellationToken);

    /// <summary>True where the transcript shows why each INVALIDATE happened (the automatic-invalidation demos).</summary>
    protected virtual bool ExplainsInvalidations => false;

    /// <summary>The transcript line of an event, in the seed's format.</summary>
    public string FormatEvent(CacheEvent cacheEvent)
    {
        var line = $"  {EventPrefix} {cacheEvent.Label} key={cacheEvent.Key}";
        return ExplainsInvalidations && cacheEvent.Kind == CacheEventKind.Invalidate && cacheEvent.Detail is { } why
            ? $"{line} (automatic: {why})"
            : line;
    }

    /// <summary>
    /// Deletes user <see cref="DemoIds.SeedId"/> row by row (not ExecuteDelete: a bulk delete would rightly drop every cached
    /// user, other demos' too) and clears <paramref name="key"/>: the reset of the demos that write through plain DbContext code.
    /// </summary>
    protected static async Task ResetSeedUserAsync(IDbContextFactory<QsetsDbContext> contexts, QsetCache engine, string key, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(contexts);
        ArgumentNullException.ThrowIfNull(engine);
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        db.Users.RemoveRange(await db.Users.Where(u => u.Id == DemoIds.SeedId).ToListAsync(cancellationToken));
        await db.SaveChangesAsync(cancellationToken);
        await engine.InvalidateAsync(key, nameof(User), "demo reset", cancellationToken);
    }

    /// <summary>The step that creates the seed's user, Alice, with the seed's id, through a plain context.</summary>
    protected static DemoStep CreateSeedUser(IDbContextFactory<QsetsDbContext> contexts) =>
        new($"Creating a user with id={SeedSteps.Id} named Alice", async ct =>
        {
            await using var db = await contexts.CreateDbContextAsync(ct);
            db.Users.Add(new User { Id = SeedSteps.Id, Name = "Alice" });
            await db.SaveChangesAsync(ct);
            return null;
        });

    /// <summary>Deletes the scenario's row of <typeparamref name="T"/> and clears its key: the usual reset.</summary>
    protected static async Task ResetRowAsync<T>(EntityRepository repository, QsetCache engine, int id, string key, CancellationToken cancellationToken)
        where T : CacheableModel
    {
        ArgumentNullException.ThrowIfNull(repository);
        ArgumentNullException.ThrowIfNull(engine);
        await repository.DeleteAsync<T>(id, cancellationToken);
        await engine.InvalidateAsync(key, CacheKeys.EntityName<T>(), "demo reset", cancellationToken);
    }
}
