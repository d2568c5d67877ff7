using System.Globalization;

namespace Qset.Caching;

/// <summary>
/// Fail-safe: when the database read of a key fails, the key's last value (<see cref="FailSafeShelf"/>) is served
/// instead, for at most <see cref="CacheOptions.FailSafeMaxDuration"/> past its TTL, and only when the store's populate
/// guard, given the ticket of the read that loaded it, says no write has invalidated it since. It is stored again for
/// <see cref="CacheOptions.FailSafeThrottle"/>, so that the next reads are answered from it (<c>STALE</c>) instead of
/// each asking the failing database.
/// </summary>
public sealed partial class QsetCache
{
    /// <summary>What a load hands its waiters when fail-safe answered it: the value, and why it is stale.</summary>
    private sealed record FailSafeValue(object Value, string Reason);

    /// <summary>A hit of an entry fail-safe stored: recorded as <c>STALE</c>, and the read says why.</summary>
    private CacheRead<T> FailSafeHit<T>(CacheEntry entry, T value, CacheReadPolicy policy, TimeSpan elapsed)
        where T : class
    {
        // The reason it was stored with: it already says until when (nothing is formatted per hit).
        _recorder.Record(CacheEventKind.Stale, entry.Key, policy.EntityType, elapsed, detail: entry.FailSafe);
        _recorder.Telemetry?.Stale(policy.EntityType);
        return new CacheRead<T>(GuardsValues ? Hand(entry.Key, policy.EntityType, value) : value, true, elapsed) { StaleReason = entry.FailSafe };
    }

    /// <summary>
    /// After the database read of <paramref name="key"/> failed with <paramref name="failure"/>: its last value, when
    /// fail-safe may serve it (stored again, guarded, for the throttle), with the one <c>STALE</c> event that says why;
    /// null when it may not (none kept, past its time, invalidated since, or the read is unguarded).
    /// </summary>
    private Task<FailSafeValue?> TryFailSafeAsync(string key, CacheReadPolicy policy, Type type, Exception failure) =>
        TryFailSafeAsync(key, policy, type, $"the database read failed ({failure.GetBaseException().Message})");

    /// <summary>As <see cref="TryFailSafeAsync(string, CacheReadPolicy, Type, Exception)"/>, <paramref name="why"/> saying why the database did not answer.</summary>
    private async Task<FailSafeValue?> TryFailSafeAsync(string key, CacheReadPolicy policy, Type type, string why)
    {
        if (!policy.PopulateGuard || _shelf.Find(key) is not { } copy || copy.Entry.EntityType != policy.EntityType
            || !type.IsInstanceOfType(copy.Entry.Value) || IsStale(copy.Entry))
        {
            return null;
        }

        var servable = _shelf.ServableUntil(copy);
        var until = Min(_timeProvider.GetUtcNow() + (policy.FailSafeThrottle ?? _options.FailSafeThrottle), servable);
        var reason = string.Create(CultureInfo.InvariantCulture,
            $"{why}; served the value read at {copy.Entry.CreatedAt:HH:mm:ss}, past its TTL since {copy.Entry.AbsoluteExpiration:HH:mm:ss}, which no write has invalidated (fail-safe, at most until {servable:HH:mm:ss})");
        var entry = new CacheEntry(key, copy.Entry.EntityType, copy.Entry.Value, copy.Entry.CreatedAt, copy.Entry.CreatedTimestamp, until, null)
        {
            Stamps = copy.Entry.StampArray,
            FailSafe = reason,
        };

        PopulateResult result;
        try
        {
            // The guard with the ticket of the read that loaded the value: a write since, on any node, refuses it.
            result = await _store.TryPopulateAsync(entry, copy.Ticket).ConfigureAwait(false);
        }
#pragma warning disable CA1031 // A store that cannot vouch for the copy (Redis down too) serves nothing stale: the read fails as it would have.
        catch (Exception)
#pragma warning restore CA1031
        {
            return null;
        }

        if (!result.Stored)
        {
            _shelf.Drop(key);
            _recorder.Record(CacheEventKind.Reject, key, policy.EntityType,
                detail: $"fail-safe did not serve the last value after the database read failed: {result.Reason}");
            return null;
        }

        _recorder.Record(CacheEventKind.Stale, key, policy.EntityType, detail: reason);
        _recorder.Telemetry?.Stale(policy.EntityType);
        return new FailSafeValue(copy.Entry.Value, reason);
    }

    /// <summary>A loaded result as its waiters take it: the value, and why it is stale when fail-safe answered.</summary>
    private static (T? Value, string? Stale) Unwrap<T>(object? loaded)
        where T : class =>
        loaded is FailSafeValue served ? ((T)served.Value, served.Reason) : ((T?)loaded, null);

    private static DateTimeOffset Min(DateTimeOffset a, DateTimeOffset b) => a < b ? a : b;
}
