using System.Collections.Concurrent;
using System.Runtime.CompilerServices;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata;

namespace Qset.Caching;

/// <summary>
/// The names the cache gives one model's entity types under one prefix (<c>ShopDb:Product</c>), built once per model
/// and prefix. Every entity type gets its CLR name, or its full name where two share a CLR name; an owned type is
/// named as the entity that owns it, whose row it lives in, and a derived type as the root of its hierarchy. Building them registers each type for distributed stores.
/// </summary>
internal sealed class ContextNames(CacheTypes types)
{
    private readonly ConditionalWeakTable<IModel, ConcurrentDictionary<string, ModelNames>> _models = [];

    /// <summary>The names of <paramref name="context"/>'s model under its prefix.</summary>
    public ModelNames Of(DbContext context) => Of(context.Model, QsetOptionsExtension.PrefixOf(context));

    /// <summary>The names of <paramref name="model"/> under <paramref name="prefix"/>.</summary>
    public ModelNames Of(IModel model, string prefix) =>
        _models.GetValue(model, static _ => new(StringComparer.Ordinal)).GetOrAdd(prefix, static (p, s) => s.Self.Build(s.Model, p), (Self: this, Model: model));

    private ModelNames Build(IModel model, string prefix)
    {
        var all = model.GetEntityTypes().ToList();
        var ambiguous = all.Where(e => !e.HasSharedClrType).GroupBy(e => e.ClrType.Name, StringComparer.Ordinal)
            .Where(g => g.Count() > 1).Select(g => g.Key).ToHashSet(StringComparer.Ordinal);
        Dictionary<IReadOnlyEntityType, string> names = [];
        foreach (var type in all)
        {
            // An owned type lives in its owner's row, a derived type in its base's: both are named as the root, so a
            // write through any of them invalidates the key a read by the root's key holds.
            var root = type;
            while (root.FindOwnership() is { } ownership)
            {
                root = ownership.PrincipalEntityType;
            }

            root = root.GetRootType();

            names[type] = prefix + Bare(root);
            if (!type.IsOwned() && !type.HasSharedClrType)
            {
                // Under its own name: the root's is its key name too; a derived type's is what its values read back as.
                types.Register(prefix + Bare(type), type.ClrType);
            }
        }

        string Bare(IReadOnlyEntityType type)
        {
            var bare = type.HasSharedClrType ? type.ShortName()
                : ambiguous.Contains(type.ClrType.Name) ? type.ClrType.FullName ?? type.Name
                : type.ClrType.Name;

            // A key's entity name ends at its first '.', where the key values begin: no name may hold one.
            return bare.Replace('.', '_');
        }

        var tables = all.Where(e => e.GetTableName() is not null)
            .GroupBy(e => e.GetTableName()!, StringComparer.OrdinalIgnoreCase)
            .ToDictionary(
                g => g.Key,
                g => new TableEntities(
                    [.. g.GroupBy(e => e.GetSchema(), StringComparer.OrdinalIgnoreCase)
                        .Select(s => new SchemaTable(s.Key, [.. s.Select(e => names[e]).Distinct(StringComparer.Ordinal)]))],
                    [.. g.Select(e => names[e]).Distinct(StringComparer.Ordinal)]),
                StringComparer.OrdinalIgnoreCase);
        return new ModelNames(prefix, names, tables);
    }
}

/// <summary>One model's names under one prefix.</summary>
internal sealed class ModelNames(string prefix, Dictionary<IReadOnlyEntityType, string> names, Dictionary<string, TableEntities> tables)
{
    /// <summary>The prefix every name starts with.</summary>
    public string Prefix => prefix;

    /// <summary>The name of <paramref name="type"/> (its owner's, for an owned type).</summary>
    public string NameOf(IReadOnlyEntityType type) => names.TryGetValue(type, out var name) ? name : prefix + type.ClrType.Name;

    /// <summary>
    /// The names of the entity types stored in <paramref name="table"/> of <paramref name="schema"/> as SQL names it
    /// (null: unqualified, so any schema's); the prefixed table name when the model has none there. A model's table in
    /// the default schema (none given) matches any schema: the connection decides which that is, so it counts as the one
    /// named (more invalidation than needed, never less).
    /// </summary>
    public IReadOnlyList<string> EntitiesOf(string table, string? schema = null)
    {
        if (!tables.TryGetValue(table, out var entities))
        {
            return [prefix + table];
        }

        // Unqualified, as EF writes it: every schema's, made once (a cached query's plan asks this on every read).
        if (schema is null)
        {
            return entities.All;
        }

        var matching = entities.Schemas.Where(t => t.Schema is null || string.Equals(t.Schema, schema, StringComparison.OrdinalIgnoreCase)).ToList();
        return matching.Count switch
        {
            0 => [prefix + table],
            1 => matching[0].Entities,
            _ => [.. matching.SelectMany(t => t.Entities).Distinct(StringComparer.Ordinal)],
        };
    }
}

/// <summary>The entity names one model stores in a table of one schema (null: the default schema).</summary>
internal sealed record SchemaTable(string? Schema, string[] Entities);

/// <summary>The entity names one model stores in a table of one name: per schema, and all of them.</summary>
internal sealed record TableEntities(SchemaTable[] Schemas, string[] All);
