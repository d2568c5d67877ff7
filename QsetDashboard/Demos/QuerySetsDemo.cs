using Microsoft.EntityFrameworkCore;
using Qset.Caching;
using QsetDashboard.Data;

namespace QsetDashboard.Demos;

/// <summary>
/// A filtered list cached with <c>.Cacheable()</c>: a hit, then a write to its table invalidates it, and the next
/// run reads the fresh result; other parameter values get their own key.
/// </summary>
public sealed class QuerySetsDemo(IDbContextFactory<QsetsDbContext> contexts, QsetCache engine) : DemoScenario
{
    private const int FirstId = DemoIds.QuerySetsFirstUserId;
    private const int LastId = DemoIds.QuerySetsLastUserId;

    /// <inheritdoc />
    public override string Name => "querysets";

    /// <inheritdoc />
    public override string Title => "QuerySet caching (LINQ results, invalidated by table)";

    /// <inheritdoc />
    public override string Description =>
        "db.Users.Where(name starts with A).Cacheable(): keyed by its SQL and parameter values, dropped when a committed write touches Users.";

    /// <inheritdoc />
    public override string Header => $"Testing QuerySet caching of a filtered user list using the {engine.Store.Name} store ...";

    /// <inheritdoc />
    public override IReadOnlyList<string> Keys { get; } = ["Query.User.<hash of SQL and parameters>"];

    /// <inheritdoc />
    /// <remarks>The cached query results that read the users table.</remarks>
    public override Qset.Caching.CacheListQuery? KeyQuery { get; } =
        new(20, Text: Qset.Caching.CacheKeys.QueryPrefix + "User.", EntityType: Qset.Caching.CacheKeys.QueryEntityType);

    /// <inheritdoc />
    public override IReadOnlyList<DemoStep> Steps => field ??=
    [
        new($"Creating users Alice, Bob and Anna (ids {FirstId}-{FirstId + 2}) with SaveChanges", async ct =>
        {
            await using var db = await contexts.CreateDbContextAsync(ct);
            db.Users.AddRange(
                new User { Id = FirstId, Name = "Alice" },
                new User { Id = FirstId + 1, Name = "Bob" },
                new User { Id = FirstId + 2, Name = "Anna" });
            await db.SaveChangesAsync(ct);
            return null;
        }),
        new("First run of the users whose name starts with A", ct => RunAsync("A", ct)),
        new("Second run of the same query", ct => RunAsync("A", ct)),
        new($"Adding user Ava (id={FirstId + 3}) with SaveChanges", async ct =>
        {
            await using var db = await contexts.CreateDbContextAsync(ct);
            db.Users.Add(new User { Id = FirstId + 3, Name = "Ava" });
            await db.SaveChangesAsync(ct);
            return null;
        }),
        new("Third run of the query", ct => RunAsync("A", ct)),
        new("Fourth run of the query", ct => RunAsync("A", ct)),
        new("The same query for names starting with B", ct => RunAsync("B", ct)),
    ];

    /// <inheritdoc />
    protected override bool ExplainsInvalidations => true;

    /// <inheritdoc />
    public override async Task ResetAsync(CancellationToken cancellationToken)
    {
        // Row by row, not ExecuteDelete: a bulk delete would rightly drop every cached user, other demos' too.
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        db.Users.RemoveRange(await db.Users.Where(u => u.Id >= FirstId && u.Id <= LastId).ToListAsync(cancellationToken));
        await db.SaveChangesAsync(cancellationToken);
    }

    private async Task<string?> RunAsync(string prefix, CancellationToken cancellationToken)
    {
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        var users = await db.Users.AsNoTracking()
            .Where(u => u.Id >= FirstId && u.Id <= LastId && u.Name.StartsWith(prefix))
            .OrderBy(u => u.Id)
            .Cacheable()
            .ToListAsync(cancellationToken);
        return $"Got {users.Count} user{(users.Count == 1 ? "" : "s")}: {string.Join(", ", users.Select(u => u.Name))}";
    }
}
