using System.Globalization;

namespace Qset.Caching;

/// <summary>
/// Builds cache keys: <c>User.1</c> for the generic and cacheable-model styles, a bare <c>1</c> for the simple
/// style. Keys of small ids are built once and reused, so a cache hit does not allocate a string.
/// </summary>
public static class CacheKeys
{
    private const int Reused = 4_096;

    /// <summary>Keys of ids below this are built once and reused.</summary>
    public const int ReusedKeys = Reused;

    /// <summary>The entity type of every cached query result (<c>.Cacheable()</c>).</summary>
    public const string QueryEntityType = Queries.QueryKeys.EntityType;

    /// <summary>What the key of every cached query result starts with.</summary>
    public const string QueryPrefix = Queries.QueryKeys.Prefix;

    private static readonly string[] s_bare = new string[Reused];

    /// <summary>The key <c>{Type}.{id}</c> of an entity of type <typeparamref name="T"/>.</summary>
    public static string For<T>(int id) => TypedKeys<T>.Get(id);

    /// <summary>The key <c>{entityName}.{id}</c>, for code that knows the type only at run time (the EF interceptors).</summary>
    public static string For(string entityName, object id)
    {
        ArgumentException.ThrowIfNullOrEmpty(entityName);
        ArgumentNullException.ThrowIfNull(id);
        return string.Concat(entityName, ".", Format(id));
    }

    /// <summary>
    /// The key of an entity whose primary key has the values <paramref name="keyValues"/>, in the key's property order:
    /// <c>OrderLine.7,2</c>. In a composite key, <c>%</c> and <c>,</c> inside a value are escaped (<c>%25</c>, <c>%2C</c>),
    /// so no two keys of one type share a text. Values are written culture-invariant; dates round-trip (<c>O</c>).
    /// </summary>
    public static string For(string entityName, IReadOnlyList<object> keyValues)
    {
        ArgumentException.ThrowIfNullOrEmpty(entityName);
        ArgumentNullException.ThrowIfNull(keyValues);
        if (keyValues.Count == 1)
        {
            return For(entityName, keyValues[0]);
        }

        var key = new System.Text.StringBuilder(entityName).Append('.');
        for (var i = 0; i < keyValues.Count; i++)
        {
            if (i > 0)
            {
                key.Append(',');
            }

            key.Append(Format(keyValues[i]).Replace("%", "%25", StringComparison.Ordinal).Replace(",", "%2C", StringComparison.Ordinal));
        }

        return key.ToString();
    }

    private static string Format(object value) => value switch
    {
        string text => text,
        int number => number.ToString(CultureInfo.InvariantCulture),
        long number => number.ToString(CultureInfo.InvariantCulture),
        Guid guid => guid.ToString("D"),
        DateTime time => time.ToString("O", CultureInfo.InvariantCulture),
        DateTimeOffset time => time.ToString("O", CultureInfo.InvariantCulture),
        byte[] bytes => Convert.ToHexString(bytes),
        IFormattable formattable => formattable.ToString(null, CultureInfo.InvariantCulture),
        _ => value.ToString() ?? "",
    };

    /// <summary>The simple style's bare key: the id alone, which every model shares.</summary>
    public static string Bare(int id)
    {
        if ((uint)id >= Reused)
        {
            return id.ToString(CultureInfo.InvariantCulture);
        }

        return s_bare[id] ??= id.ToString(CultureInfo.InvariantCulture);
    }

    /// <summary>The name an entity type has in keys and events.</summary>
    public static string EntityName<T>() => TypedKeys<T>.Name;

    private static class TypedKeys<T>
    {
        public static readonly string Name = typeof(T).Name;

        private static readonly string[] s_keys = new string[Reused];

        public static string Get(int id)
        {
            if ((uint)id >= Reused)
            {
                return string.Create(CultureInfo.InvariantCulture, $"{Name}.{id}");
            }

            return s_keys[id] ??= string.Create(CultureInfo.InvariantCulture, $"{Name}.{id}");
        }
    }
}
