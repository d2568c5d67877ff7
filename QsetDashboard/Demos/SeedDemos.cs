using Qset.Caching;
using QsetDashboard.Data;
using QsetDashboard.Styles;

namespace QsetDashboard.Demos;

/// <summary>The seed's first run: users only, bare-id keys.</summary>
public sealed class SimpleDemo(SimpleCache cache, EntityRepository repository, QsetCache engine) : DemoScenario
{
    /// <inheritdoc />
    public override string Name => "simple";

    /// <inheritdoc />
    public override string Title => "Simple caching (one model, bare-id keys)";

    /// <inheritdoc />
    public override string Description =>
        "get_user / set_user / remove_user for users only. Keys are the bare id, so a second model would clash.";

    /// <inheritdoc />
    public override string Header => $"Testing model-specific simple caching of users using the {engine.Store.Name} store ...";

    /// <inheritdoc />
    public override string EventPrefix => "Cache";

    /// <inheritdoc />
    public override IReadOnlyList<string> Keys { get; } = [CacheKeys.Bare(SeedSteps.Id)];

    /// <inheritdoc />
    public override IReadOnlyList<DemoStep> Steps => field ??= SeedSteps.Build(
        "user", "Alice", "Jane",
        (name, ct) => cache.SetUserAsync(SeedSteps.Id, name, ct),
        async ct => await cache.GetUserAsync(SeedSteps.Id, ct),
        ct => cache.RemoveUserAsync(SeedSteps.Id, ct));

    /// <inheritdoc />
    public override Task ResetAsync(CancellationToken cancellationToken) =>
        ResetRowAsync<User>(repository, engine, SeedSteps.Id, Keys[0], cancellationToken);
}

/// <summary>The seed's second run: any model, <c>Type.id</c> keys.</summary>
public sealed class GenericDemo(GenericCache cache, EntityRepository repository, QsetCache engine) : DemoScenario
{
    /// <inheritdoc />
    public override string Name => "generic";

    /// <inheritdoc />
    public override string Title => "Generic caching (any model, Type.id keys)";

    /// <inheritdoc />
    public override string Description =>
        "Get<T>(id) / Set(id, entity) / Remove<T>(id) for any entity. Keys carry the type name, so models never collide.";

    /// <inheritdoc />
    public override string Header => $"Testing generic caching of every entity type using the {engine.Store.Name} store ...";

    /// <inheritdoc />
    public override IReadOnlyList<string> Keys { get; } = [CacheKeys.For<User>(SeedSteps.Id)];

    /// <inheritdoc />
    public override IReadOnlyList<DemoStep> Steps => field ??= SeedSteps.Build(
        "user", "Alice", "Jane",
        (name, ct) => cache.SetAsync(SeedSteps.Id, new User { Name = name }, ct),
        async ct => await cache.GetAsync<User>(SeedSteps.Id, ct),
        ct => cache.RemoveAsync<User>(SeedSteps.Id, ct));

    /// <inheritdoc />
    public override Task ResetAsync(CancellationToken cancellationToken) =>
        ResetRowAsync<User>(repository, engine, SeedSteps.Id, Keys[0], cancellationToken);
}

/// <summary>The seed's third run: teams through their own type (<c>ModelCache&lt;Team&gt;</c>).</summary>
public sealed class CacheableDemo(ModelCache<Team> teams, EntityRepository repository, QsetCache engine) : DemoScenario
{
    /// <inheritdoc />
    public override string Name => "cacheable";

    /// <inheritdoc />
    public override string Title => "Cacheable model (the model's own type reaches its cache)";

    /// <inheritdoc />
    public override string Description =>
        "Team derives from CacheableModel; ModelCache<Team> gives it get / set / remove, as the seed's Team().get(id) does.";

    /// <inheritdoc />
    public override string Header => $"Testing the CacheableModel version of entities using the {engine.Store.Name} store ...";

    /// <inheritdoc />
    public override IReadOnlyList<string> Keys { get; } = [CacheKeys.For<Team>(SeedSteps.Id)];

    /// <inheritdoc />
    public override IReadOnlyList<DemoStep> Steps => field ??= SeedSteps.Build(
        "team", "Dev", "Ops",
        (name, ct) => teams.SetAsync(SeedSteps.Id, new Team { Name = name }, ct),
        async ct => await teams.GetAsync(SeedSteps.Id, ct),
        ct => teams.RemoveAsync(SeedSteps.Id, ct));

    /// <inheritdoc />
    public override Task ResetAsync(CancellationToken cancellationToken) =>
        ResetRowAsync<Team>(repository, engine, SeedSteps.Id, Keys[0], cancellationToken);
}
