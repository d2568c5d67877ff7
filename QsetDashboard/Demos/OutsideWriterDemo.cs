using Microsoft.EntityFrameworkCore;
using Qset.Caching;
using QsetDashboard.Data;
using QsetDashboard.Styles;

namespace QsetDashboard.Demos;

/// <summary>
/// A write nobody tells the cache of: another connection renames the cached user with plain SQL (no EF, no cache
/// call), and the database's change feed invalidates the key, so the next read is fresh. With
/// <c>Cache:WatchDatabase</c> off, the transcript shows the old name served instead.
/// </summary>
public sealed class OutsideWriterDemo(IDbContextFactory<QsetsDbContext> contexts, GenericCache cache, QsetCache engine) : DemoScenario
{
    // Long enough for a feed on a loaded machine; a live feed takes one WatchInterval (25 ms by default).
    private static readonly TimeSpan FeedWait = TimeSpan.FromSeconds(10);

    /// <inheritdoc />
    public override string Name => "outside-writer";

    /// <inheritdoc />
    public override string Title => "A write from outside the app (the database's change feed)";

    /// <inheritdoc />
    public override string Description =>
        "Another connection renames the cached user with plain SQL: no EF, no cache call. The change feed sees the commit and invalidates the key.";

    /// <inheritdoc />
    public override string Header => $"Testing a write made outside the app, with the {engine.Store.Name} store and the change feed {engine.GetStats().Feed.State.ToString().ToLowerInvariant()} ...";

    /// <inheritdoc />
    public override IReadOnlyList<string> Keys { get; } = [CacheKeys.For<User>(SeedSteps.Id)];

    /// <inheritdoc />
    public override IReadOnlyList<DemoStep> Steps => field ??=
    [
        CreateSeedUser(contexts),
        new($"First get of user with id={SeedSteps.Id}", GetAsync),
        new($"Second get of user with id={SeedSteps.Id}", GetAsync),
        new("Another connection renames the user to Mallory with plain SQL (no EF, no cache call)", WriteOutsideAsync),
        new("Waiting for the database's change feed", WaitForFeedAsync),
        new($"Get of user with id={SeedSteps.Id}", GetAsync),
    ];

    /// <inheritdoc />
    public override Task ResetAsync(CancellationToken cancellationToken) => ResetSeedUserAsync(contexts, engine, Keys[0], cancellationToken);

    private async Task<string?> GetAsync(CancellationToken cancellationToken) =>
        SeedSteps.Got(await cache.GetAsync<User>(SeedSteps.Id, cancellationToken));

    private async Task<string?> WriteOutsideAsync(CancellationToken cancellationToken)
    {
        System.Data.Common.DbConnection connection;
        await using (var db = await contexts.CreateDbContextAsync(cancellationToken))
        {
            // A connection of its own, of the database's provider, as a script or another service would open: EF never sees this command.
            connection = System.Data.Common.DbProviderFactories.GetFactory(db.Database.GetDbConnection())!.CreateConnection()!;
            connection.ConnectionString = db.Database.GetConnectionString();
        }

        await using var _ = connection;
        await connection.OpenAsync(cancellationToken);
        await using var command = connection.CreateCommand();
        command.CommandText = $"UPDATE \"Users\" SET \"Name\" = 'Mallory' WHERE \"Id\" = {SeedSteps.Id}";
        var rows = await command.ExecuteNonQueryAsync(cancellationToken);
        return $"UPDATE Users SET Name = 'Mallory' WHERE Id = {SeedSteps.Id}: {rows} row committed, and the cache was told nothing";
    }

    private async Task<string?> WaitForFeedAsync(CancellationToken cancellationToken)
    {
        var feed = engine.GetStats().Feed;
        if (feed.State != DatabaseFeedState.Live)
        {
            return $"The change feed is {feed.State.ToString().ToLowerInvariant()} ({feed.Reason}): nothing tells the cache of this write, so the next get serves the old name until the entry expires";
        }

        // The feed's event is raised on its own flow, not this step's: it is read back from the journal, newest first, down
        // to the key's last hit (the previous step's), so an event recorded before this step began is found too.
        var key = Keys[0];
        var waited = System.Diagnostics.Stopwatch.StartNew();
        while (waited.Elapsed < FeedWait)
        {
            foreach (var e in engine.Journal.Latest(1_024))
            {
                if (e.Key != key)
                {
                    continue;
                }

                if (e.Kind == CacheEventKind.Invalidate && e.Source == "database")
                {
                    return $"  {EventPrefix} INVALIDATE key={key} (source database: {e.Detail})";
                }

                if (e.Kind is CacheEventKind.Hit or CacheEventKind.Populate)
                {
                    break;
                }
            }

            await Task.Delay(TimeSpan.FromMilliseconds(5), cancellationToken);
        }

        return $"The change feed did not invalidate {key} within {FeedWait.TotalSeconds:0} s";
    }
}
