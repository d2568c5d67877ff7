using System.Globalization;
using System.Text;

namespace Qset.Caching.Redis;

/// <summary>
/// The Redis store's page cursor, <c>r{scan cursor}</c> or <c>r{scan cursor}.{keys}</c>, and MATCH patterns. The
/// keys (base64url of the cache keys, one a line) are those of the last ZSCAN call (of the index of live keys) that did
/// not fit the page: the next page lists them first, then scans on from the cursor. A page never ends inside a call's
/// batch by counting (re-running a call after writes to the index may return another batch, so a count of keys to
/// skip could skip a key never listed); it ends before the batch, or, when the batch alone is more than a page,
/// carries what is left of it.
/// </summary>
internal static class RedisScanCursor
{
    /// <summary>At most this many ZSCAN calls serve one page, so a sparse filter returns a cursor rather than scanning on.</summary>
    public const int MaxCallsPerPage = 20;

    /// <summary>The ZSCAN cursor to go on from and the keys to list before it; the start for null.</summary>
    /// <exception cref="ArgumentException">The cursor was not made here.</exception>
    public static (ulong Cursor, IReadOnlyList<string> Pending) Parse(string? cursor)
    {
        if (cursor is null)
        {
            return (0, []);
        }

        var dot = cursor.IndexOf('.', StringComparison.Ordinal);
        var end = dot < 0 ? cursor.Length : dot;
        if (!cursor.StartsWith('r') || end < 2
            || !ulong.TryParse(cursor.AsSpan(1, end - 1), NumberStyles.None, CultureInfo.InvariantCulture, out var scan))
        {
            throw new ArgumentException("The cursor was not made by the Redis store.", nameof(cursor));
        }

        if (dot < 0)
        {
            return (scan, []);
        }

        try
        {
            var text = Encoding.UTF8.GetString(Convert.FromBase64String(FromBase64Url(cursor[(dot + 1)..])));
            return text.Length == 0
                ? throw new ArgumentException("The cursor was not made by the Redis store.", nameof(cursor))
                : (scan, text.Split('\n'));
        }
        catch (FormatException ex)
        {
            throw new ArgumentException("The cursor was not made by the Redis store.", nameof(cursor), ex);
        }
    }

    /// <summary>The cursor of a page that ends before the ZSCAN call at <paramref name="scan"/>, or, with <paramref name="pending"/>, before those keys and then that call.</summary>
    public static string Format(ulong scan, IReadOnlyList<string>? pending = null)
    {
        var head = string.Create(CultureInfo.InvariantCulture, $"r{scan}");
        return pending is not { Count: > 0 }
            ? head
            : $"{head}.{Convert.ToBase64String(Encoding.UTF8.GetBytes(string.Join('\n', pending))).TrimEnd('=').Replace('+', '-').Replace('/', '_')}";
    }

    private static string FromBase64Url(string text)
    {
        var padded = text.Replace('-', '+').Replace('_', '/');
        return padded + new string('=', (4 - (padded.Length % 4)) % 4);
    }

    /// <summary>A MATCH pattern for cache keys containing <paramref name="text"/> in any case (every key for none).</summary>
    public static string Pattern(string? text)
    {
        var pattern = new StringBuilder("*");
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
