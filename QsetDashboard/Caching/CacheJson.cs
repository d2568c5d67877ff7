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

    private static readonly System.Collections.Concurrent.ConcurrentDictionary<string, Type> s_types = new(StringComparer.Ordinal)
    {
        [nameof(User)] = typeof(User),
        [nameof(Team)] = typeof(Team),
    };

    /// <summary>Lets a distributed store turn values of <typeparamref name="T"/> back into objects, under their entity-type name.</summary>
    public static void Register<T>(string entityType) => s_types[entityType] = typeof(T);

    /// <summary>Reads a value of a registered entity type; false for an unknown type or JSON that does not fit it.</summary>
    public static bool TryDeserialize(string entityType, JsonElement json, [System.Diagnostics.CodeAnalysis.NotNullWhen(true)] out object? value, out string? error)
    {
        value = null;
        if (!s_types.TryGetValue(entityType, out var type))
        {
            error = $"unknown entity type '{entityType}'";
            return false;
        }

        try
        {
            value = json.Deserialize(type, s_options);
            error = value is null ? "the value is null" : null;
            return value is not null;
        }
        catch (JsonException ex)
        {
            error = $"the value is not a {entityType}: {ex.Message}";
            return false;
        }
    }

    /// <summary>The value as indented JSON.</summary>
    public static string Serialize(object value)
    {
        ArgumentNullException.ThrowIfNull(value);
        return JsonSerializer.Serialize(value, value.GetType(), s_options);
    }
}
