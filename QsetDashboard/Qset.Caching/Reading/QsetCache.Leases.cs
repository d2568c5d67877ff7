namespace Qset.Caching;

/// <summary>One database read per key across nodes: waiting for the populate of the node that holds a key's read lease.</summary>
public sealed partial class QsetCache
{
    /// <summary>
    /// Waits, up to <see cref="IDistributedLoads.Wait"/>, for the populate of the node reading <paramref name="key"/> for
    /// the cluster: the entry once it is there; null when the wait is over, or the node gave up its lease without one
    /// (its read failed), and this node reads the database itself (under the ticket it took before the wait).
    /// </summary>
    private async Task<CacheEntry?> WaitForAnotherNodeAsync<T>(string key, string holder)
        where T : class
    {
        var started = _timeProvider.GetTimestamp();
        var pause = TimeSpan.FromMilliseconds(2);
        while (true)
        {
            await Task.Delay(pause, _timeProvider).ConfigureAwait(false);
            pause = TimeSpan.FromTicks(Math.Min(pause.Ticks * 2, TimeSpan.FromMilliseconds(50).Ticks));
            if (await _store.GetAsync(key).ConfigureAwait(false) is { Value: T } entry && !IsStale(entry))
            {
                return entry;
            }

            if (_timeProvider.GetElapsedTime(started) >= _loads.Wait || !await _loads.IsHeldAsync(key).ConfigureAwait(false))
            {
                return await _store.GetAsync(key).ConfigureAwait(false) is { Value: T } last && !IsStale(last) ? last : null;
            }
        }
    }
}
