using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata;

namespace Qset.Caching.Feed;

/// <summary>Reads from a context's model the tables a feed follows, and how each change names its cache keys.</summary>
internal static class WatchedTables
{
    /// <summary>Every table of <paramref name="context"/>'s model, with the names <paramref name="names"/> gives its entity types.</summary>
    public static IReadOnlyList<WatchedTable> Of(DbContext context, ModelNames names)
    {
        List<WatchedTable> watched = [];
        foreach (var table in context.Model.GetRelationalModel().Tables)
        {
            List<string> columns = [];
            List<FeedTarget> targets = [];
            foreach (var mapping in table.EntityTypeMappings)
            {
                if (mapping.TypeBase is not IEntityType type)
                {
                    continue;
                }

                var name = names.NameOf(type);
                if (targets.Any(t => t.EntityName == name))
                {
                    // A derived or owned type in its root's row: the root's key names it.
                    continue;
                }

                targets.Add(TargetOf(type, name, table, columns));
            }

            if (targets.Count > 0)
            {
                watched.Add(new WatchedTable(table.Name, table.Schema, columns, targets));
            }
        }

        return watched;
    }

    private static FeedTarget TargetOf(IEntityType type, string name, ITable table, List<string> columns)
    {
        IReadOnlyList<IProperty> properties;
        if (type.FindOwnership() is { } ownership)
        {
            if (ownership.PrincipalEntityType.FindOwnership() is not null)
            {
                return new FeedTarget(name, null, null, $"{type.DisplayName()} is owned two levels down: a change makes every {name} entry stale");
            }

            properties = ownership.Properties;
        }
        else if (type.FindPrimaryKey() is { } key)
        {
            properties = key.Properties;
        }
        else
        {
            return new FeedTarget(name, null, null, $"{type.DisplayName()} has no primary key: a change makes every {name} entry stale (give it a key to invalidate by row)");
        }

        List<int> indexes = [];
        List<KeyConversion> conversions = [];
        foreach (var property in properties)
        {
            var column = table.FindColumn(property);
            var mapping = column?.PropertyMappings.FirstOrDefault(m => m.Property == property)?.TypeMapping;
            if (column is null || mapping is null)
            {
                return new FeedTarget(name, null, null, $"the key {property.Name} of {type.DisplayName()} has no column in {table.Name}: a change makes every {name} entry stale");
            }

            var conversion = KeyConversion.Of(property, mapping);
            if (!conversion.Supported)
            {
                return new FeedTarget(name, null, null,
                    $"the key {property.Name} of {type.DisplayName()} is stored as {mapping.Converter?.ProviderClrType.Name ?? mapping.ClrType.Name}, which the feed cannot read back: a change makes every {name} entry stale");
            }

            var index = columns.IndexOf(column.Name);
            if (index < 0)
            {
                index = columns.Count;
                columns.Add(column.Name);
            }

            indexes.Add(index);
            conversions.Add(conversion);
        }

        return new FeedTarget(name, indexes, conversions, null);
    }
}
