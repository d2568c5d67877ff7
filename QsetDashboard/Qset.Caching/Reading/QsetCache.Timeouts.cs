using System.Globalization;

namespace Qset.Caching;

/// <summary>Factory timeouts: how long a miss's readers wait for the database (soft), and how long its read may take (hard).</summary>
public sealed partial class QsetCache
{
    /// <summary>
    /// The database read of <paramref name="key"/> within the policy's timeouts: past the soft one, fail-safe answers
    /// the readers (when it may) while the read goes on; past the hard one, the read is cancelled and fails with a
    /// <see cref="TimeoutException"/>.
    /// </summary>
    private async Task<T?> LoadWithinTimeoutsAsync<T, TState>(
        string key,
        CacheReadPolicy policy,
        TState state,
        Func<TState, CancellationToken, Task<T?>> load,
        TaskCompletionSource<object?> owner)
        where T : class
    {
        var soft = policy.SoftTimeout ?? _options.FactorySoftTimeout;
        var hard = policy.HardTimeout ?? _options.FactoryHardTimeout;
        if (soft <= TimeSpan.Zero && hard <= TimeSpan.Zero)
        {
            return await load(state, CancellationToken.None).ConfigureAwait(false);
        }

        var started = _timeProvider.GetTimestamp();
        using var stop = new CancellationTokenSource();
        var loading = load(state, stop.Token);
        if (soft > TimeSpan.Zero && _shelf.On && !loading.IsCompleted)
        {
            using var softTimer = new CancellationTokenSource();
            var timer = Task.Delay(soft, _timeProvider, softTimer.Token);
            if (await Task.WhenAny(loading, timer).ConfigureAwait(false) != loading
                && await TryFailSafeAsync(key, policy, typeof(T), string.Create(CultureInfo.InvariantCulture,
                    $"the database read took longer than the soft timeout of {soft.TotalMilliseconds:0} ms (it goes on in the background, and populates unless a write came first)"))
                    .ConfigureAwait(false) is { } served)
            {
                owner.TrySetResult(served);
            }

            await softTimer.CancelAsync().ConfigureAwait(false);
        }

        if (hard <= TimeSpan.Zero)
        {
            return await loading.ConfigureAwait(false);
        }

        var left = hard - _timeProvider.GetElapsedTime(started);
        try
        {
            return await loading.WaitAsync(left > TimeSpan.Zero ? left : TimeSpan.Zero, _timeProvider).ConfigureAwait(false);
        }
        catch (TimeoutException)
        {
            await stop.CancelAsync().ConfigureAwait(false);

            // A read that does not stop when told is left to end on its own; its failure is nobody's to see.
            _ = loading.ContinueWith(static t => t.Exception, CancellationToken.None, TaskContinuationOptions.OnlyOnFaulted, TaskScheduler.Default);
            throw new TimeoutException(string.Create(CultureInfo.InvariantCulture, $"the database read took longer than the hard timeout of {hard.TotalMilliseconds:0} ms"));
        }
    }
}
