using Qset.Caching;
using QsetDashboard.Data;

namespace QsetDashboard.Styles;

/// <summary>
/// Style 1, the seed's simple caching: users only, keyed by the bare id (<c>1</c>). Its flaw is kept on purpose
/// and made visible: <see cref="GetTeamAsync"/> is the same pattern copied for a second model, and its keys
/// collide with the users' (a CLASH event), which is why the seed moved on to <c>Type.id</c> keys.
/// </summary>
public sealed class SimpleCache(QsetCache cache, EntityRepository repository)
{
    // Writes whose by-id key this style invalidates itself, right after, as the seed does.
    private readonly EntityRepository _writes = repository.LeavingByIdKeysToCaller();

    // Looked up once here, not per read inside the engine's shared generic code.
    private static readonly CacheReadPolicy UserPolicy = CacheReadPolicy.ById<User>();
    private static readonly CacheReadPolicy TeamPolicy = CacheReadPolicy.ById<Team>();

    /// <summary>The user with <paramref name="id"/>, saying whether the cache answered.</summary>
    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveInlining)]
    public ValueTask<CacheRead<User>> ReadUserAsync(int id, CancellationToken cancellationToken = default) =>
        cache.GetAsync(CacheKeys.Bare(id), (repository, id), static (s, ct) => s.repository.FindAsync<User>(s.id, ct), UserPolicy, cancellationToken);

    /// <summary>The user with <paramref name="id"/>, or null (the seed's <c>get_user(id)</c>).</summary>
    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveInlining)]
    public ValueTask<User?> GetUserAsync(int id, CancellationToken cancellationToken = default) =>
        CacheReads.ValueOf(ReadUserAsync(id, cancellationToken));

    /// <summary>Saves the user's name, then invalidates the bare key (the seed's <c>set_user(id, "field")</c>).</summary>
    public async Task SetUserAsync(int id, string name, CancellationToken cancellationToken = default)
    {
        await _writes.UpsertAsync(new User { Id = id, Name = name }, cancellationToken).ConfigureAwait(false);

        await cache.InvalidateAsync(CacheKeys.Bare(id), nameof(User), cancellationToken: cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Deletes the user, then invalidates the bare key (the seed's <c>remove_user(id)</c>).</summary>
    public async Task<bool> RemoveUserAsync(int id, CancellationToken cancellationToken = default)
    {
        bool deleted;
        deleted = await _writes.DeleteAsync<User>(id, cancellationToken).ConfigureAwait(false);

        await cache.InvalidateAsync(CacheKeys.Bare(id), nameof(User), cancellationToken: cancellationToken).ConfigureAwait(false);
        return deleted;
    }

    /// <summary>
    /// The simple pattern copied for teams: same bare keys, so team 1 and user 1 fight over key <c>1</c>.
    /// Exists to show the clash, not to be used.
    /// </summary>
    public ValueTask<CacheRead<Team>> ReadTeamAsync(int id, CancellationToken cancellationToken = default) =>
        cache.GetAsync(CacheKeys.Bare(id), (repository, id), static (s, ct) => s.repository.FindAsync<Team>(s.id, ct), TeamPolicy, cancellationToken);

    /// <summary>As <see cref="ReadTeamAsync"/>, the value alone.</summary>
    public ValueTask<Team?> GetTeamAsync(int id, CancellationToken cancellationToken = default) =>
        CacheReads.ValueOf(ReadTeamAsync(id, cancellationToken));
}
