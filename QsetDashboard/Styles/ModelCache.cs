using Qset.Caching;
using QsetDashboard.Data;

namespace QsetDashboard.Styles;

/// <summary>
/// Style 3, the seed's cacheable model: the model's own type reaches its cache, as <c>User().get(id)</c> does.
/// Inject <c>ModelCache&lt;User&gt;</c> (like <c>ILogger&lt;User&gt;</c>) and call <c>users.GetAsync(1)</c>:
/// the type argument picks the table and the key prefix, and no entity instance hides a service locator.
/// </summary>
public sealed class ModelCache<TModel>(GenericCache cache)
    where TModel : CacheableModel
{
    /// <summary>The model with <paramref name="id"/>, saying whether the cache answered.</summary>
    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveInlining)]
    public ValueTask<CacheRead<TModel>> ReadAsync(int id, CancellationToken cancellationToken = default) =>
        cache.ReadAsync<TModel>(id, cancellationToken);

    /// <summary>The model with <paramref name="id"/>, or null.</summary>
    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveInlining)]
    public ValueTask<TModel?> GetAsync(int id, CancellationToken cancellationToken = default) =>
        cache.GetAsync<TModel>(id, cancellationToken);

    /// <summary>Saves <paramref name="model"/> under <paramref name="id"/>, then invalidates its key.</summary>
    public Task SetAsync(int id, TModel model, CancellationToken cancellationToken = default) =>
        cache.SetAsync(id, model, cancellationToken);

    /// <summary>Deletes the model with <paramref name="id"/>, then invalidates its key.</summary>
    public Task<bool> RemoveAsync(int id, CancellationToken cancellationToken = default) =>
        cache.RemoveAsync<TModel>(id, cancellationToken);
}
