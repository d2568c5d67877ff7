using System.Globalization;
using Qset.Caching.Queries;

// In EF's namespace, beside AsNoTracking and TagWith, so a query finds it without a using.
namespace Microsoft.EntityFrameworkCore;

/// <summary>The QuerySet cache's LINQ entry point.</summary>
public static class CacheableQueryExtensions
{
    /// <summary>
    /// Caches this query's result, keyed by its SQL and parameter values, until its TTL
    /// (<paramref name="ttl"/>, or the cache's default) runs out or a committed write to a table it reads
    /// invalidates it. Works with every EF operator (<c>ToListAsync</c>, <c>FirstOrDefaultAsync</c>, <c>CountAsync</c>);
    /// inside an open transaction the query goes to the database and nothing is cached.
    /// </summary>
    public static IQueryable<T> Cacheable<T>(this IQueryable<T> source, TimeSpan? ttl = null)
    {
        ArgumentNullException.ThrowIfNull(source);
        if (ttl is { } value && (value <= TimeSpan.Zero || value > TimeSpan.FromDays(365)))
        {
            throw new ArgumentOutOfRangeException(nameof(ttl), value, "The TTL must be positive and at most 365 days.");
        }

        return source.TagWith(ttl is { } t ? string.Create(CultureInfo.InvariantCulture, $"{CacheableTag.Marker} ttl={t:c}") : CacheableTag.Marker);
    }
}
