using Microsoft.EntityFrameworkCore;
using Qset.Caching;
using QsetDashboard.Data;
using QsetDashboard.Styles;

namespace QsetDashboard.Demos;

/// <summary>
/// The seed's TODO done: writes made through plain DbContext code (no cache call anywhere) invalidate the key by
/// themselves, after commit, whichever way they reach the database; a rolled-back write invalidates nothing.
/// </summary>
public sealed class SignalsDemo(IDbContextFactory<QsetsDbContext> contexts, GenericCache cache, QsetCache engine) : DemoScenario
{
    /// <inheritdoc />
    public override string Name => "signals";

    /// <inheritdoc />
    public override string Title => "Automatic invalidation (Django's model signals, for EF Core)";

    /// <inheritdoc />
    public override string Description =>
        "Writes through a plain DbContext: SaveChanges, a rolled-back transaction, ExecuteUpdate and raw SQL. No write calls the cache; EF interceptors invalidate after commit.";

    /// <inheritdoc />
    public override string Header => $"Testing automatic invalidation of writes made through plain DbContext code using the {engine.Store.Name} store ...";

    /// <inheritdoc />
    public override IReadOnlyList<string> Keys { get; } = [CacheKeys.For<User>(SeedSteps.Id)];

    /// <inheritdoc />
    public override IReadOnlyList<DemoStep> Steps => field ??=
    [
        new($"Creating a user with id={SeedSteps.Id} with SaveChanges (no cache call)", ct => WriteAsync(db =>
        {
            db.Users.Add(new User { Id = SeedSteps.Id, Name = "Alice" });
            return db.SaveChangesAsync(ct);
        })),
        new($"First get of user with id={SeedSteps.Id}", GetAsync),
        new($"Second get of user with id={SeedSteps.Id}", GetAsync),
        new("Renaming the user to Jane with SaveChanges", ct => WriteAsync(async db =>
        {
            (await db.Users.SingleAsync(u => u.Id == SeedSteps.Id, ct)).Name = "Jane";
            await db.SaveChangesAsync(ct);
        })),
        new($"Get of user with id={SeedSteps.Id}", GetAsync),
        new("Renaming the user to Bob in a transaction, then rolling back", async ct =>
        {
            await using var db = await contexts.CreateDbContextAsync(ct);
            await using var transaction = await db.Database.BeginTransactionAsync(ct);
            (await db.Users.SingleAsync(u => u.Id == SeedSteps.Id, ct)).Name = "Bob";
            await db.SaveChangesAsync(ct);
            await transaction.RollbackAsync(ct);
            return "Rolled back: nothing to invalidate";
        }),
        new($"Get of user with id={SeedSteps.Id}", GetAsync),
        new("Renaming the user to Joan with ExecuteUpdate (bypasses SaveChanges)", ct => WriteAsync(db =>
            db.Users.Where(u => u.Id == SeedSteps.Id).ExecuteUpdateAsync(s => s.SetProperty(u => u.Name, "Joan"), ct))),
        new($"Get of user with id={SeedSteps.Id}", GetAsync),
        new("Deleting the user with raw SQL", ct => WriteAsync(db =>
            db.Database.ExecuteSqlAsync($"DELETE FROM \"Users\" WHERE \"Id\" = {SeedSteps.Id}", ct))),
        new($"Get removed user with id={SeedSteps.Id}", GetAsync),
    ];

    /// <inheritdoc />
    protected override bool ExplainsInvalidations => true;

    /// <inheritdoc />
    public override Task ResetAsync(CancellationToken cancellationToken) => ResetSeedUserAsync(contexts, engine, Keys[0], cancellationToken);

    private async Task<string?> GetAsync(CancellationToken cancellationToken) =>
        SeedSteps.Got(await cache.GetAsync<User>(SeedSteps.Id, cancellationToken));

    private async Task<string?> WriteAsync(Func<QsetsDbContext, Task> write)
    {
        await using var db = await contexts.CreateDbContextAsync();
        await write(db);
        return null;
    }
}
