using Qset.Caching;

namespace Qset.Dashboard.Model;

/// <summary>One cache entry as the key browser shows it, read at one instant.</summary>
/// <param name="Key">The cache key.</param>
/// <param name="EntityType">The entity type of the value.</param>
/// <param name="Json">The value as indented JSON, characters as typed (see <see cref="DisplayJson"/>).</param>
/// <param name="SizeBytes">The JSON's size in UTF-8 bytes.</param>
/// <param name="Age">How long ago it was populated.</param>
/// <param name="TimeToLive">How long until it expires (zero once due).</param>
public sealed record CacheEntryRow(string Key, string EntityType, string Json, int SizeBytes, TimeSpan Age, TimeSpan TimeToLive)
{
    /// <summary>The row of <paramref name="entry"/> at the time provider's now.</summary>
    public static CacheEntryRow From(CacheEntry entry, TimeProvider timeProvider)
    {
        ArgumentNullException.ThrowIfNull(entry);
        var (age, left) = Times(entry, timeProvider);
        return new CacheEntryRow(entry.Key, entry.EntityType, DisplayJson.Of(entry), entry.SizeBytes, age, left);
    }

    /// <summary>This row of <paramref name="entry"/> at the time provider's now: age and TTL read again, the JSON kept.</summary>
    public CacheEntryRow At(CacheEntry entry, TimeProvider timeProvider)
    {
        ArgumentNullException.ThrowIfNull(entry);
        var (age, left) = Times(entry, timeProvider);
        return this with { Age = age, TimeToLive = left };
    }

    private static (TimeSpan Age, TimeSpan TimeToLive) Times(CacheEntry entry, TimeProvider timeProvider)
    {
        ArgumentNullException.ThrowIfNull(timeProvider);
        var now = timeProvider.GetUtcNow();
        var left = entry.ExpiresAt(timeProvider) - now;
        return (now - entry.CreatedAt, left > TimeSpan.Zero ? left : TimeSpan.Zero);
    }

    /// <summary>The rows of <paramref name="entries"/> matching <paramref name="text"/> (in key or value) and <paramref name="entityType"/>, ordered by key.</summary>
    public static IReadOnlyList<CacheEntryRow> Browse(IEnumerable<CacheEntry> entries, TimeProvider timeProvider, string? text, string? entityType)
    {
        ArgumentNullException.ThrowIfNull(entries);
        var needle = text?.Trim();
        return
        [
            .. entries
                .Where(e => string.IsNullOrEmpty(entityType) || string.Equals(e.EntityType, entityType, StringComparison.Ordinal))
                .Where(e => string.IsNullOrEmpty(needle)
                    || e.Key.Contains(needle, StringComparison.OrdinalIgnoreCase)
                    || DisplayJson.Of(e).Contains(needle, StringComparison.OrdinalIgnoreCase))
                .OrderBy(e => e.Key, StringComparer.Ordinal)
                .Select(e => From(e, timeProvider)),
        ];
    }
}
