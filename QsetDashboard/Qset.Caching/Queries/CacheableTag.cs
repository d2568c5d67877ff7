using System.Globalization;

namespace Qset.Caching.Queries;

/// <summary>The SQL comment <c>.Cacheable()</c> tags a query with, and its reading by the interceptor.</summary>
internal static class CacheableTag
{
    /// <summary>The tag's text; EF writes it as <c>-- qset-cache</c> at the head of the command.</summary>
    public const string Marker = "qset-cache";

    private const string Line = "-- " + Marker;

    /// <summary>True when <paramref name="sql"/> carries the tag; <paramref name="ttl"/> is its TTL, if it has one.</summary>
    public static bool TryRead(string? sql, out TimeSpan? ttl)
    {
        ttl = null;
        if (sql is null || !sql.StartsWith("--", StringComparison.Ordinal))
        {
            return false;
        }

        // Tags come first, one comment line each; stop at the first line that is not a comment.
        foreach (var line in sql.AsSpan().EnumerateLines())
        {
            var text = line.Trim();
            if (!text.StartsWith("--", StringComparison.Ordinal))
            {
                return false;
            }

            if (!text.StartsWith(Line, StringComparison.Ordinal))
            {
                continue;
            }

            var rest = text[Line.Length..].Trim();
            if (rest.StartsWith("ttl=", StringComparison.Ordinal)
                && TimeSpan.TryParseExact(rest["ttl=".Length..], "c", CultureInfo.InvariantCulture, out var value))
            {
                ttl = value;
            }

            return rest.IsEmpty || ttl is not null;
        }

        return false;
    }
}
