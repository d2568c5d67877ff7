using System.Text.Json;
using System.Text.Json.Serialization;
using System.Text.Json.Serialization.Metadata;
using QsetDashboard.Data;

namespace QsetDashboard.Caching;

/// <summary>The JSON form of cached values, source-generated for the app's entities.</summary>
[JsonSourceGenerationOptions(JsonSerializerDefaults.Web, WriteIndented = true)]
[JsonSerializable(typeof(User))]
[JsonSerializable(typeof(Team))]
public sealed partial class CacheJsonContext : JsonSerializerContext;

/// <summary>Serializes cached values: source-generated where known, reflection for other types.</summary>
public static class CacheJson
{
    private static readonly JsonSerializerOptions s_options = new(CacheJsonContext.Default.Options)
    {
        TypeInfoResolver = JsonTypeInfoResolver.Combine(CacheJsonContext.Default, new DefaultJsonTypeInfoResolver()),
    };

    /// <summary>The options every cached value is written with.</summary>
    public static JsonSerializerOptions Options => s_options;

    /// <summary>The value as indented JSON.</summary>
    public static string Serialize(object value)
    {
        ArgumentNullException.ThrowIfNull(value);
        return JsonSerializer.Serialize(value, value.GetType(), s_options);
    }
}
