using Qset.Caching;
using QsetDashboard.Data;
using QsetDashboard.Styles;

namespace QsetDashboard.Demos;

/// <summary>Why the seed moved on from bare-id keys: user 1 and team 1 fight over key <c>1</c>.</summary>
public sealed class ClashDemo(SimpleCache cache, EntityRepository repository, QsetCache engine) : DemoScenario
{
    /// <inheritdoc />
    public override string Name => "clash";

    /// <inheritdoc />
    public override string Title => "Key clash (why bare-id keys fail)";

    /// <inheritdoc />
    public override string Description =>
        "The simple style copied for teams: user 1 and team 1 share key 1. Every switch between them is a CLASH and a wasted database read.";

    /// <inheritdoc />
    public override string Header => $"Testing bare-id keys shared by two models using the {engine.Store.Name} store ...";

    /// <inheritdoc />
    public override string EventPrefix => "Cache";

    /// <inheritdoc />
    public override IReadOnlyList<string> Keys { get; } = [CacheKeys.Bare(SeedSteps.Id)];

    /// <inheritdoc />
    public override IReadOnlyList<DemoStep> Steps => field ??=
    [
        new($"Creating a user and a team, both with id={SeedSteps.Id}", async ct =>
        {
            await cache.SetUserAsync(SeedSteps.Id, "Alice", ct);
            await repository.UpsertAsync(new Team { Id = SeedSteps.Id, Name = "Dev" }, ct);
            return null;
        }),
        new($"Get of user with id={SeedSteps.Id}", async ct => SeedSteps.Got(await cache.GetUserAsync(SeedSteps.Id, ct))),
        new($"Get of team with id={SeedSteps.Id} under the same bare key", async ct => SeedSteps.Got(await cache.GetTeamAsync(SeedSteps.Id, ct))),
        new($"Get of user with id={SeedSteps.Id} again", async ct => SeedSteps.Got(await cache.GetUserAsync(SeedSteps.Id, ct))),
    ];

    /// <inheritdoc />
    public override async Task ResetAsync(CancellationToken cancellationToken)
    {
        await repository.DeleteAsync<User>(SeedSteps.Id, cancellationToken);
        await repository.DeleteAsync<Team>(SeedSteps.Id, cancellationToken);
        await engine.InvalidateAsync(Keys[0], null, "demo reset", cancellationToken);
    }
}
