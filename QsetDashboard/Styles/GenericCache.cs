using Qset.Caching;
using QsetDashboard.Data;

namespace QsetDashboard.Styles;

/// <summary>
/// Style 2, the seed's generic caching: any entity, keys prefixed by the type name (<c>User.1</c>, <c>Team.1</c>),
/// so models with the same id never collide. <c>get(User, id)</c> becomes <c>GetAsync&lt;User&gt;(id)</c>.
/// </summary>
public sealed class GenericCache(QsetCache cache, EntityRepository repository)
{
    // Writes whose by-id key this style invalidates itself, right after, as the seed does.
    private readonly EntityRepository _writes = repository.LeavingByIdKeysToCaller();

    /// <summary>A cache-aside read of the <typeparamref name="T"/> with <paramref name="id"/>, saying whether it was a hit.</summary>
    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveInlining)]
    public ValueTask<CacheRead<T>> ReadAsync<T>(int id, CancellationToken cancellationToken = default)
        where T : CacheableModel =>
        cache.GetAsync(Typed<T>.Key(id), (repository, id), Typed<T>.Load, Typed<T>.Policy, cancellationToken);

    /// <summary>The <typeparamref name="T"/> with <paramref name="id"/>, from the cache or the database; null when there is none.</summary>
    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveInlining)]
    public ValueTask<T?> GetAsync<T>(int id, CancellationToken cancellationToken = default)
        where T : CacheableModel =>
        CacheReads.ValueOf(ReadAsync<T>(id, cancellationToken));

    /// <summary>Saves <paramref name="entity"/> under <paramref name="id"/> (insert or update), then invalidates its key.</summary>
    public async Task SetAsync<T>(int id, T entity, CancellationToken cancellationToken = default)
        where T : CacheableModel
    {
        ArgumentNullException.ThrowIfNull(entity);
        entity.Id = id;
        await _writes.UpsertAsync(entity, cancellationToken).ConfigureAwait(false);

        await cache.InvalidateAsync(CacheKeys.For<T>(id), CacheKeys.EntityName<T>(), cancellationToken: cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Inserts <paramref name="entity"/>, then invalidates its key; false (and no write) when its id exists.</summary>
    public async Task<bool> CreateAsync<T>(T entity, CancellationToken cancellationToken = default)
        where T : CacheableModel
    {
        ArgumentNullException.ThrowIfNull(entity);
        bool written;
        written = await _writes.InsertAsync(entity, cancellationToken).ConfigureAwait(false);

        if (!written)
        {
            return false;
        }

        await cache.InvalidateAsync(CacheKeys.For<T>(entity.Id), CacheKeys.EntityName<T>(), cancellationToken: cancellationToken).ConfigureAwait(false);
        return true;
    }

    /// <summary>Updates the row with <paramref name="entity"/>'s id, then invalidates its key; false when there is no such row.</summary>
    public async Task<bool> UpdateAsync<T>(T entity, CancellationToken cancellationToken = default)
        where T : CacheableModel
    {
        ArgumentNullException.ThrowIfNull(entity);
        bool written;
        written = await _writes.UpdateAsync(entity, cancellationToken).ConfigureAwait(false);

        if (!written)
        {
            return false;
        }

        await cache.InvalidateAsync(CacheKeys.For<T>(entity.Id), CacheKeys.EntityName<T>(), cancellationToken: cancellationToken).ConfigureAwait(false);
        return true;
    }

    /// <summary>Deletes the <typeparamref name="T"/> with <paramref name="id"/>, then invalidates its key; false when there was none.</summary>
    public async Task<bool> RemoveAsync<T>(int id, CancellationToken cancellationToken = default)
        where T : CacheableModel
    {
        bool deleted;
        deleted = await _writes.DeleteAsync<T>(id, cancellationToken).ConfigureAwait(false);

        await cache.InvalidateAsync(CacheKeys.For<T>(id), CacheKeys.EntityName<T>(), cancellationToken: cancellationToken).ConfigureAwait(false);
        return deleted;
    }

    // The key table and the loader of one type in one static class: shared generic code (every T is a class)
    // pays a lookup per generic static class it touches, and a hit touches only this one.
    private static class Typed<T>
        where T : CacheableModel
    {
        public static readonly Func<(EntityRepository Repository, int Id), CancellationToken, Task<T?>> Load =
            static (s, ct) => s.Repository.FindAsync<T>(s.Id, ct);

        public static readonly CacheReadPolicy Policy = CacheReadPolicy.ById<T>();

        private static readonly string[] s_keys = new string[CacheKeys.ReusedKeys];

        public static string Key(int id) =>
            (uint)id < (uint)s_keys.Length ? s_keys[id] ??= CacheKeys.For<T>(id) : CacheKeys.For<T>(id);
    }
}
