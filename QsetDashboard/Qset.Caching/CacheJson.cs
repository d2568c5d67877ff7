using System.Collections.Concurrent;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace Qset.Caching;

/// <summary>Serializes cached values: any entity, with cycles between navigations written once.</summary>
internal static class CacheJson
{
    private static readonly JsonSerializerOptions s_options = new(JsonSerializerDefaults.Web)
    {
        WriteIndented = true,
        ReferenceHandler = ReferenceHandler.IgnoreCycles,
    };

    private static readonly JsonSerializerOptions s_compact = new(s_options) { WriteIndented = false };

    /// <summary>The options every cached value is written with.</summary>
    public static JsonSerializerOptions Options => s_options;

    /// <summary>The size of <paramref name="value"/>'s JSON without indentation, in UTF-8 bytes: what a distributed store holds of it.</summary>
    /// <summary>A deep copy of <paramref name="value"/>, through its JSON (what a Redis store hands every reader anyway).</summary>
    internal static object Copy(object value)
    {
        var type = value.GetType();
        return JsonSerializer.Deserialize(JsonSerializer.SerializeToUtf8Bytes(value, type, s_compact), type, s_compact)
            ?? throw new InvalidOperationException($"{type.Name} did not read back from its JSON");
    }

    /// <summary>A fingerprint of <paramref name="value"/>'s JSON now: two readings differ when a member changed in between.</summary>
    internal static int Fingerprint(object value) =>
        string.GetHashCode(JsonSerializer.Serialize(value, value.GetType(), s_compact), StringComparison.Ordinal);

    internal static int CompactSize(object value) =>
        JsonSerializer.SerializeToUtf8Bytes(value, value.GetType(), s_compact).Length;

    /// <summary>The value as indented JSON.</summary>
    public static string Serialize(object value)
    {
        ArgumentNullException.ThrowIfNull(value);
        return JsonSerializer.Serialize(value, value.GetType(), s_options);
    }
}

/// <summary>
/// The CLR type behind each entity-type name a key carries, so a distributed store can turn a value back into an
/// object. Filled from every EF model the cache meets (each entity type under its per-context name), and by
/// <see cref="Register{T}"/> for values that are not entities.
/// </summary>
internal sealed class CacheTypes
{
    private readonly ConcurrentDictionary<string, Type> _types = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<Type, string> _names = new();

    /// <summary>Lets a distributed store read values of <typeparamref name="T"/> stored under <paramref name="entityType"/>.</summary>
    public void Register<T>(string entityType) => Register(entityType, typeof(T));

    /// <summary>As <see cref="Register{T}"/>, for a type known at run time.</summary>
    public void Register(string entityType, Type type)
    {
        ArgumentException.ThrowIfNullOrEmpty(entityType);
        ArgumentNullException.ThrowIfNull(type);
        _types[entityType] = type;
        _names[type] = entityType;
    }

    /// <summary>A name <paramref name="type"/> is registered under: what a value of a derived type is read back as.</summary>
    public bool TryGetName(Type type, [System.Diagnostics.CodeAnalysis.NotNullWhen(true)] out string? name) =>
        _names.TryGetValue(type, out name);

    /// <summary>The type registered under <paramref name="entityType"/>.</summary>
    public bool TryGet(string entityType, [System.Diagnostics.CodeAnalysis.NotNullWhen(true)] out Type? type) =>
        _types.TryGetValue(entityType, out type);

    /// <summary>What the error of a value of a type this node has not registered starts with (not corrupt: unknown here, yet).</summary>
    public const string UnknownTypeError = "unknown entity type";

    /// <summary>Reads a value of a registered entity type; false for an unknown type or JSON that does not fit it.</summary>
    public bool TryDeserialize(string entityType, JsonElement json, [System.Diagnostics.CodeAnalysis.NotNullWhen(true)] out object? value, out string? error)
    {
        value = null;
        if (!_types.TryGetValue(entityType, out var type))
        {
            error = $"{UnknownTypeError} '{entityType}'";
            return false;
        }

        try
        {
            value = json.Deserialize(type, CacheJson.Options);
            error = value is null ? "the value is null" : null;
            return value is not null;
        }
        catch (JsonException ex)
        {
            error = $"the value is not a {entityType}: {ex.Message}";
            return false;
        }
        catch (NotSupportedException ex)
        {
            error = $"a {entityType} cannot be read from JSON: {ex.Message}";
            return false;
        }
    }
}
