using Qset.Caching;
using QsetDashboard.Data;
using QsetDashboard.Demos;
using QsetDashboard.Styles;

namespace QsetDashboard.Model;

/// <summary>The three caching styles of the seed.</summary>
public enum CacheStyle
{
    /// <summary><see cref="SimpleCache"/>: bare-id keys.</summary>
    Simple,

    /// <summary><see cref="GenericCache"/>: <c>Type.id</c> keys.</summary>
    Generic,

    /// <summary><see cref="ModelCache{TModel}"/>: the model's own type reaches its cache.</summary>
    Cacheable,
}

/// <summary>The two entity types the playground edits.</summary>
public enum EntityKind
{
    /// <summary><see cref="Data.User"/>.</summary>
    User,

    /// <summary><see cref="Data.Team"/>.</summary>
    Team,
}

/// <summary>What one playground operation did: a message, and for a read the value, HIT or MISS and its time.</summary>
public sealed record PlaygroundOutcome(bool Succeeded, string Message, string Key, CacheableModel? Value = null, bool? Hit = null, TimeSpan? Duration = null);

/// <summary>
/// Create, read, update and delete of users and teams through any of the three styles, as the playground page
/// offers them. Events are recorded with the source <c>playground</c>. The simple style has no team methods in
/// the seed; here it uses the same pattern copied for teams (bare keys), which is what makes it clash.
/// The demos' ids (<see cref="DemoIds"/>) can be read but not written.
/// </summary>
public sealed class PlaygroundOperations(
    SimpleCache simple,
    GenericCache generic,
    ModelCache<User> users,
    ModelCache<Team> teams,
    EntityRepository repository,
    QsetCache engine)
{
    /// <summary>The source the playground's events carry.</summary>
    public const string Source = "playground";

    /// <summary>The key <paramref name="style"/> uses for the entity.</summary>
    public static string KeyOf(CacheStyle style, EntityKind entity, int id) => style switch
    {
        CacheStyle.Simple => CacheKeys.Bare(id),
        _ when entity == EntityKind.User => CacheKeys.For<User>(id),
        _ => CacheKeys.For<Team>(id),
    };

    /// <summary>Why the playground may not write the entity with <paramref name="id"/> (a demo owns it), or null.</summary>
    public static string? WhyReserved(EntityKind entity, int id) =>
        entity == EntityKind.User ? DemoIds.WhyReserved<User>(id) : DemoIds.WhyReserved<Team>(id);

    /// <summary>A cache-aside read, timed, saying HIT or MISS.</summary>
    public async Task<PlaygroundOutcome> ReadAsync(CacheStyle style, EntityKind entity, int id, CancellationToken cancellationToken = default)
    {
        using var _ = CacheContext.Use(Source);
        var key = KeyOf(style, entity, id);
        CacheableModel? value;
        bool hit;
        TimeSpan duration;
        switch (style, entity)
        {
            case (CacheStyle.Simple, EntityKind.User):
                (value, hit, duration) = Unpack(await simple.ReadUserAsync(id, cancellationToken));
                break;
            case (CacheStyle.Simple, _):
                (value, hit, duration) = Unpack(await simple.ReadTeamAsync(id, cancellationToken));
                break;
            case (CacheStyle.Generic, EntityKind.User):
                (value, hit, duration) = Unpack(await generic.ReadAsync<User>(id, cancellationToken));
                break;
            case (CacheStyle.Generic, _):
                (value, hit, duration) = Unpack(await generic.ReadAsync<Team>(id, cancellationToken));
                break;
            case (_, EntityKind.User):
                (value, hit, duration) = Unpack(await users.ReadAsync(id, cancellationToken));
                break;
            default:
                (value, hit, duration) = Unpack(await teams.ReadAsync(id, cancellationToken));
                break;
        }

        var message = value is null ? $"No {entity} with id={id}." : $"Got {value}";
        return new PlaygroundOutcome(value is not null, message, key, value, hit, duration);
    }

    /// <summary>Inserts the entity through the style's set; refused when the id exists.</summary>
    public async Task<PlaygroundOutcome> CreateAsync(CacheStyle style, EntityKind entity, int id, string name, CancellationToken cancellationToken = default)
    {
        using var _ = CacheContext.Use(Source);
        var key = KeyOf(style, entity, id);
        if (WhyReserved(entity, id) is { } reserved)
        {
            return new PlaygroundOutcome(false, reserved, key);
        }

        if (await ExistsAsync(entity, id, cancellationToken))
        {
            return new PlaygroundOutcome(false, $"A {entity} with id={id} already exists; use Update.", key);
        }

        await SetAsync(style, entity, id, name, cancellationToken);
        return new PlaygroundOutcome(true, $"Created {entity} id={id}; key {key} invalidated.", key);
    }

    /// <summary>Renames the entity through the style's set; refused when there is no such id.</summary>
    public async Task<PlaygroundOutcome> UpdateAsync(CacheStyle style, EntityKind entity, int id, string name, CancellationToken cancellationToken = default)
    {
        using var _ = CacheContext.Use(Source);
        var key = KeyOf(style, entity, id);
        if (WhyReserved(entity, id) is { } reserved)
        {
            return new PlaygroundOutcome(false, reserved, key);
        }

        if (!await ExistsAsync(entity, id, cancellationToken))
        {
            return new PlaygroundOutcome(false, $"No {entity} with id={id}; use Create.", key);
        }

        await SetAsync(style, entity, id, name, cancellationToken);
        return new PlaygroundOutcome(true, $"Updated {entity} id={id}; key {key} invalidated.", key);
    }

    /// <summary>Deletes the entity through the style's remove.</summary>
    public async Task<PlaygroundOutcome> DeleteAsync(CacheStyle style, EntityKind entity, int id, CancellationToken cancellationToken = default)
    {
        using var _ = CacheContext.Use(Source);
        var key = KeyOf(style, entity, id);
        if (WhyReserved(entity, id) is { } reserved)
        {
            return new PlaygroundOutcome(false, reserved, key);
        }

        var deleted = (style, entity) switch
        {
            (CacheStyle.Simple, EntityKind.User) => await simple.RemoveUserAsync(id, cancellationToken),
            (CacheStyle.Simple, _) => await RemoveSimpleTeamAsync(id, cancellationToken),
            (CacheStyle.Generic, EntityKind.User) => await generic.RemoveAsync<User>(id, cancellationToken),
            (CacheStyle.Generic, _) => await generic.RemoveAsync<Team>(id, cancellationToken),
            (_, EntityKind.User) => await users.RemoveAsync(id, cancellationToken),
            _ => await teams.RemoveAsync(id, cancellationToken),
        };
        return deleted
            ? new PlaygroundOutcome(true, $"Deleted {entity} id={id}; key {key} invalidated.", key)
            : new PlaygroundOutcome(false, $"No {entity} with id={id}; key {key} invalidated anyway.", key);
    }

    private static (CacheableModel? Value, bool Hit, TimeSpan Duration) Unpack<T>(CacheRead<T> read)
        where T : CacheableModel => (read.Value, read.Hit, read.Duration);

    private async Task<bool> ExistsAsync(EntityKind entity, int id, CancellationToken cancellationToken) => entity == EntityKind.User
        ? await repository.FindAsync<User>(id, cancellationToken) is not null
        : await repository.FindAsync<Team>(id, cancellationToken) is not null;

    private Task SetAsync(CacheStyle style, EntityKind entity, int id, string name, CancellationToken cancellationToken) => (style, entity) switch
    {
        (CacheStyle.Simple, EntityKind.User) => simple.SetUserAsync(id, name, cancellationToken),
        (CacheStyle.Simple, _) => SetSimpleTeamAsync(id, name, cancellationToken),
        (CacheStyle.Generic, EntityKind.User) => generic.SetAsync(id, new User { Name = name }, cancellationToken),
        (CacheStyle.Generic, _) => generic.SetAsync(id, new Team { Name = name }, cancellationToken),
        (_, EntityKind.User) => users.SetAsync(id, new User { Name = name }, cancellationToken),
        _ => teams.SetAsync(id, new Team { Name = name }, cancellationToken),
    };

    // The simple pattern copied for teams, as SimpleCache.ReadTeamAsync is: same bare key as the user.
    private async Task SetSimpleTeamAsync(int id, string name, CancellationToken cancellationToken)
    {
        await repository.UpsertAsync(new Team { Id = id, Name = name }, cancellationToken);
        await engine.InvalidateAsync(CacheKeys.Bare(id), nameof(Team), cancellationToken: cancellationToken);
    }

    private async Task<bool> RemoveSimpleTeamAsync(int id, CancellationToken cancellationToken)
    {
        var deleted = await repository.DeleteAsync<Team>(id, cancellationToken);
        await engine.InvalidateAsync(CacheKeys.Bare(id), nameof(Team), cancellationToken: cancellationToken);
        return deleted;
    }
}
