using System.Buffers.Text;
using System.Globalization;
using System.Text;

namespace Qset.Dashboard.Api;

/// <summary>
/// Cursor paging as every list endpoint does it: an opaque cursor (base64url of where the previous page ended), and,
/// while more may follow, <c>X-Next-Cursor</c> and <c>Link: &lt;…&gt;; rel="next"</c> on the response.
/// </summary>
public static class ApiPaging
{
    /// <summary>The header that carries the cursor of the next page.</summary>
    public const string NextCursorHeader = "X-Next-Cursor";

    /// <summary>The most items one page holds.</summary>
    public const int MaxLimit = 10_000;

    /// <summary>Parses <c>limit</c> (default 100, 1–<see cref="MaxLimit"/>) or says why not.</summary>
    public static bool TryParseLimit(string? text, out int limit, out IResult? problem)
    {
        var ok = ApiProblems.TryParseQuery(text, "limit", 100, 1, MaxLimit, out var value, out problem);
        limit = (int)value;
        return ok;
    }

    /// <summary>Decodes a cursor this API gave (null for the first page), or says why not.</summary>
    public static bool TryDecodeCursor(string? cursor, out string? decoded, out IResult? problem)
    {
        decoded = null;
        problem = null;
        if (cursor is null)
        {
            return true;
        }

        try
        {
            decoded = Encoding.UTF8.GetString(Base64Url.DecodeFromChars(cursor));
            return true;
        }
        catch (FormatException)
        {
            problem = BadCursor();
            return false;
        }
    }

    /// <summary>The 400 for a cursor this API did not give.</summary>
    public static IResult BadCursor() =>
        ApiProblems.BadRequest("cursor", "Not a cursor this API gave: pass the X-Next-Cursor of the previous page, or none for the first.");

    /// <summary>Says where the next page starts (<paramref name="next"/>, undecoded), with the request's other query values.</summary>
    public static void AddNextPage(HttpContext http, string? next, int limit, params (string Name, string? Value)[] filters)
    {
        ArgumentNullException.ThrowIfNull(http);
        if (next is null)
        {
            return;
        }

        var token = Base64Url.EncodeToString(Encoding.UTF8.GetBytes(next));
        http.Response.Headers[NextCursorHeader] = token;
        var query = QueryString.Create(
            new[] { KeyValuePair.Create("limit", (string?)limit.ToString(CultureInfo.InvariantCulture)), KeyValuePair.Create("cursor", (string?)token) }
                .Concat(filters.Where(f => !string.IsNullOrEmpty(f.Value)).Select(f => KeyValuePair.Create(f.Name, f.Value))));
        http.Response.Headers.Link = $"<{http.Request.PathBase}{http.Request.Path}{query}>; rel=\"next\"";
    }
}
