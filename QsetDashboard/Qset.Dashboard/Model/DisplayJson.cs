using System.Runtime.CompilerServices;
using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Nodes;
using Qset.Caching;

namespace Qset.Dashboard.Model;

/// <summary>
/// A cached value's JSON as a person reads it: the stored JSON escapes HTML characters (<c>\u003C</c>), which is
/// right for transport but hides what a name really holds. Razor encodes the text when it renders, so showing the
/// characters as typed is safe. Made once per entry.
/// </summary>
internal static class DisplayJson
{
    private static readonly ConditionalWeakTable<CacheEntry, string> s_made = [];

    private static readonly JsonSerializerOptions s_readable = new()
    {
        WriteIndented = true,
        Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
    };

    /// <summary>The entry's value as indented JSON with characters as typed.</summary>
    public static string Of(CacheEntry entry)
    {
        ArgumentNullException.ThrowIfNull(entry);
        return s_made.GetValue(entry, static e => Readable(e.Json));
    }

    private static string Readable(string json)
    {
        try
        {
            return JsonNode.Parse(json)?.ToJsonString(s_readable) ?? json;
        }
        catch (JsonException)
        {
            return json;
        }
    }
}
