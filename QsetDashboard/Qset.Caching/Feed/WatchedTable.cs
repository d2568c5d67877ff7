using System.Globalization;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata;
using Microsoft.EntityFrameworkCore.Storage;

namespace Qset.Caching.Feed;

/// <summary>
/// One table a feed follows: the columns its change log records (the primary key's), and what a change to a row
/// makes stale: for each entity type stored in it, the by-id key of the row and the type's table version.
/// </summary>
internal sealed class WatchedTable(string name, string? schema, IReadOnlyList<string> keyColumns, IReadOnlyList<FeedTarget> targets)
{
    /// <summary>The table's name in the database.</summary>
    public string Name => name;

    /// <summary>Its schema, where the model gives one.</summary>
    public string? Schema => schema;

    /// <summary>The columns a change records, in this order: every key column of every target; empty for a keyless table.</summary>
    public IReadOnlyList<string> KeyColumns => keyColumns;

    /// <summary>The entity types the table stores, by the names keys and table versions use.</summary>
    public IReadOnlyList<FeedTarget> Targets => targets;

    /// <summary>The table as one qualified name, for messages.</summary>
    public string DisplayName => schema is null ? name : $"{schema}.{name}";
}

/// <summary>
/// An entity type a watched table stores: its cache name (<c>ShopDb:Product</c>) and how to turn the recorded key
/// columns back into its by-id key. <see cref="Columns"/> is null when its rows have no by-id key the feed can name
/// (keyless, or an owned type more than one level down): then a change makes every by-id entry of the type stale.
/// </summary>
internal sealed class FeedTarget(string entityName, IReadOnlyList<int>? columns, IReadOnlyList<KeyConversion>? conversions, string? unnamed)
{
    /// <summary>The name keys and table versions use.</summary>
    public string EntityName => entityName;

    /// <summary>Where each key value is among the table's recorded columns; null when rows cannot be named.</summary>
    public IReadOnlyList<int>? Columns => columns;

    /// <summary>Why rows cannot be named by key, for the start-up log; null when they can.</summary>
    public string? Unnamed => unnamed;

    /// <summary>The by-id key of the row whose recorded column values are <paramref name="values"/>; null when it cannot be named.</summary>
    /// <exception cref="FormatException">A recorded value does not convert to the key property's type.</exception>
    public string? KeyOf(IReadOnlyList<object?> values)
    {
        if (columns is null || conversions is null)
        {
            return null;
        }

        var keyValues = new object[columns.Count];
        for (var i = 0; i < columns.Count; i++)
        {
            if (columns[i] >= values.Count || conversions[i].FromDatabase(values[columns[i]]) is not { } value)
            {
                return null;
            }

            keyValues[i] = value;
        }

        return CacheKeys.For(entityName, keyValues);
    }
}

/// <summary>
/// Turns a key value as the database hands it back (a long, double, string or byte array) into the key property's
/// value, as EF would read it: through the provider type, then the property's value converter.
/// </summary>
internal sealed class KeyConversion(string property, Type providerType, Microsoft.EntityFrameworkCore.Storage.ValueConversion.ValueConverter? converter)
{
    /// <summary>The key property, for messages.</summary>
    public string Property => property;

    /// <summary>Whether values of the provider type can be read back at all.</summary>
    public bool Supported => IsSupported(Nullable.GetUnderlyingType(providerType) ?? providerType);

    /// <summary>The property's value of the database value <paramref name="raw"/>; null for NULL.</summary>
    /// <exception cref="FormatException">The value does not convert.</exception>
    public object? FromDatabase(object? raw)
    {
        if (raw is null)
        {
            return null;
        }

        var provider = ToProviderType(raw, Nullable.GetUnderlyingType(providerType) ?? providerType);
        return converter is null ? provider : converter.ConvertFromProvider(provider);
    }

    /// <summary>The conversion of <paramref name="property"/> as it is mapped to its column.</summary>
    public static KeyConversion Of(IProperty property, RelationalTypeMapping mapping) =>
        new(property.Name, mapping.Converter?.ProviderClrType ?? mapping.ClrType, mapping.Converter);

    private static bool IsSupported(Type type) =>
        type.IsEnum || type == typeof(string) || type == typeof(Guid) || type == typeof(byte[]) || type == typeof(DateTime)
        || type == typeof(DateTimeOffset) || type == typeof(DateOnly) || type == typeof(TimeOnly) || type == typeof(TimeSpan)
        || type == typeof(char) || type == typeof(bool) || type == typeof(decimal)
        || (type.IsPrimitive && type != typeof(IntPtr) && type != typeof(UIntPtr));

    private static object ToProviderType(object raw, Type type)
    {
        try
        {
            return raw switch
            {
                _ when type == raw.GetType() => raw,
                long number when type.IsEnum => Enum.ToObject(type, number),
                long number when type == typeof(bool) => number != 0,
                long number when type == typeof(char) => (char)number,
                long or double when type.IsPrimitive || type == typeof(decimal) => Convert.ChangeType(raw, type, CultureInfo.InvariantCulture),
                string text when type == typeof(Guid) => Guid.Parse(text),
                string text when type == typeof(DateTime) => DateTime.Parse(text, CultureInfo.InvariantCulture, DateTimeStyles.None),
                string text when type == typeof(DateTimeOffset) => DateTimeOffset.Parse(text, CultureInfo.InvariantCulture),
                string text when type == typeof(DateOnly) => DateOnly.Parse(text, CultureInfo.InvariantCulture),
                string text when type == typeof(TimeOnly) => TimeOnly.Parse(text, CultureInfo.InvariantCulture),
                string text when type == typeof(TimeSpan) => TimeSpan.Parse(text, CultureInfo.InvariantCulture),
                string text when type == typeof(char) && text.Length == 1 => text[0],
                string text when type.IsEnum => Enum.Parse(type, text),
                string text when type.IsPrimitive || type == typeof(decimal) => Convert.ChangeType(text, type, CultureInfo.InvariantCulture),
                byte[] bytes when type == typeof(Guid) => new Guid(bytes),
                _ => throw new FormatException($"a {raw.GetType().Name} value cannot be read as {type.Name}"),
            };
        }
        catch (Exception ex) when (ex is InvalidCastException or OverflowException or ArgumentException)
        {
            throw new FormatException($"the value {raw} cannot be read as {type.Name}: {ex.Message}", ex);
        }
    }
}
