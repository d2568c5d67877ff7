using System.Globalization;

namespace Qset.Caching;

/// <summary>
/// Eager refresh: a hit past <see cref="CacheOptions.EagerRefreshThreshold"/> of its entry's TTL starts one background
/// database read of the key (none when a read of it is already under way), which populates it anew through the guard
/// before it expires; the hit itself is answered from the cache. A write during that read refuses its populate, as any.
/// </summary>
public sealed partial class QsetCache
{
    private void RefreshWhenDue<T, TState>(
        string key,
        TState state,
        Func<TState, CancellationToken, Task<T?>> load,
        CacheReadPolicy policy,
        CacheEntry entry,
        long nowUtcTicks)
        where T : class
    {
        var created = entry.CreatedAt.UtcTicks;
        var lifetime = entry.AbsoluteExpirationTicks - created;
        var now = nowUtcTicks != 0 ? nowUtcTicks : _timeProvider.GetUtcNow().UtcTicks;
        if (now < created + (long)(lifetime * _eagerRefresh))
        {
            return;
        }

        var slot = (key, typeof(T));
        if (_inflight.ContainsKey(slot))
        {
            return;
        }

        var owner = new TaskCompletionSource<object?>(TaskCreationOptions.RunContinuationsAsynchronously);
        if (!_inflight.TryAdd(slot, owner.Task))
        {
            return;
        }

        // Nobody may await a refresh: its failure is recorded, not thrown at anyone.
        _ = owner.Task.ContinueWith(static t => t.Exception, CancellationToken.None, TaskContinuationOptions.OnlyOnFaulted, TaskScheduler.Default);
        _recorder.Record(CacheEventKind.Refresh, key, policy.EntityType, detail: string.Create(CultureInfo.InvariantCulture,
            $"a hit at {100.0 * (now - created) / Math.Max(lifetime, 1):0}% of its TTL: the database is read in the background, the cached value served meanwhile"));
        StartRefresh(slot, policy, state, load, owner);
    }

    // Apart from the check above: the closure is made only for a refresh that starts, not on every hit.
    private void StartRefresh<T, TState>(
        (string Key, Type Type) slot,
        CacheReadPolicy policy,
        TState state,
        Func<TState, CancellationToken, Task<T?>> load,
        TaskCompletionSource<object?> owner)
        where T : class =>
        // On the pool: the hit returns at once, not after the loader's synchronous start (a context, a command).
        _ = Task.Run(() => RefreshAsync(slot, policy, state, load, owner), CancellationToken.None);

    private async Task RefreshAsync<T, TState>(
        (string Key, Type Type) slot,
        CacheReadPolicy policy,
        TState state,
        Func<TState, CancellationToken, Task<T?>> load,
        TaskCompletionSource<object?> owner)
        where T : class
    {
        PopulateTicket ticket;
        try
        {
            ticket = await _store.BeginPopulateAsync(slot.Key).ConfigureAwait(false);
        }
#pragma warning disable CA1031 // A store that cannot issue a ticket refreshes nothing; the entry serves until its TTL.
        catch (Exception ex)
#pragma warning restore CA1031
        {
            owner.TrySetException(ex);
            _inflight.TryRemove(new KeyValuePair<(string, Type), Task<object?>>(slot, owner.Task));
            return;
        }

        await ReadAndPopulateAsync(slot, policy, state, load, owner, ticket, refreshing: true).ConfigureAwait(false);
    }
}
