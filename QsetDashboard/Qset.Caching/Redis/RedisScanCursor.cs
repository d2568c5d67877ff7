using System.Globalization;
using System.Text;

namespace Qset.Caching.Redis;

/// <summary>The Redis store's page cursor (<c>r{scan cursor}.{keys of that SCAN call already taken}</c>) and MATCH patterns.</summary>
internal static class RedisScanCursor
{
    /// <summary>At most this many SCAN calls serve one page, so a sparse filter returns a cursor rather than scanning on.</summary>
    public const int MaxCallsPerPage = 20;

    /// <summary>The SCAN cursor and how many keys of its batch to skip; the start for null.</summary>
    /// <exception cref="ArgumentException">The cursor was not made here.</exception>
    public static (ulong Cursor, int Skip) Parse(string? cursor)
    {
        if (cursor is null)
        {
            return (0, 0);
        }

        var dot = cursor.IndexOf('.', StringComparison.Ordinal);
        return cursor.StartsWith('r') && dot > 1
            && ulong.TryParse(cursor.AsSpan(1, dot - 1), NumberStyles.None, CultureInfo.InvariantCulture, out var scan)
            && int.TryParse(cursor.AsSpan(dot + 1), NumberStyles.None, CultureInfo.InvariantCulture, out var skip)
            ? (scan, skip)
            : throw new ArgumentException("The cursor was not made by the Redis store.", nameof(cursor));
    }

    /// <summary>The cursor of a page that ends <paramref name="skip"/> keys into the SCAN call at <paramref name="scan"/>.</summary>
    public static string Format(ulong scan, int skip) =>
        string.Create(CultureInfo.InvariantCulture, $"r{scan}.{skip}");

    /// <summary>A MATCH pattern for cache keys of <paramref name="entityType"/> containing <paramref name="text"/> in any case.</summary>
    public static string Pattern(string? entityType, string? text)
    {
        var pattern = new StringBuilder();
        if (entityType is not null)
        {
            pattern.Append(Escape(entityType)).Append('.');
        }

        pattern.Append('*');
        if (!string.IsNullOrEmpty(text))
        {
            foreach (var c in text)
            {
                var (lower, upper) = (char.ToLowerInvariant(c), char.ToUpperInvariant(c));
                if (lower != upper)
                {
                    pattern.Append('[').Append(lower).Append(upper).Append(']');
                }
                else
                {
                    pattern.Append(Escape(c.ToString()));
                }
            }

            pattern.Append('*');
        }

        return pattern.ToString();
    }

    private static string Escape(string text)
    {
        var escaped = new StringBuilder(text.Length);
        foreach (var c in text)
        {
            if (c is '*' or '?' or '[' or ']' or '\\' or '^' or '-')
            {
                escaped.Append('\\');
            }

            escaped.Append(c);
        }

        return escaped.ToString();
    }
}
