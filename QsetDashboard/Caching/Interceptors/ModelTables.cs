using System.Runtime.CompilerServices;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata;

namespace QsetDashboard.Caching.Interceptors;

/// <summary>
/// Maps a table name found in SQL (<c>Users</c>) to the entity types it holds (<c>User</c>), from the EF model,
/// so that a raw SQL write and a LINQ write bump the same table version. A table the model does not know is
/// named as it is.
/// </summary>
public static class ModelTables
{
    private static readonly ConditionalWeakTable<IModel, Dictionary<string, string[]>> s_maps = [];

    /// <summary>The entity type names stored in <paramref name="table"/>; the table's own name when the model has none.</summary>
    public static IReadOnlyList<string> EntitiesOf(IModel? model, string table)
    {
        if (model is not null && s_maps.GetValue(model, Build).TryGetValue(table, out var entities))
        {
            return entities;
        }

        return [table];
    }

    private static Dictionary<string, string[]> Build(IModel model) =>
        model.GetEntityTypes()
            .Where(e => e.GetTableName() is not null)
            .GroupBy(e => e.GetTableName()!, StringComparer.OrdinalIgnoreCase)
            .ToDictionary(g => g.Key, g => g.Select(e => e.ClrType.Name).Distinct(StringComparer.Ordinal).ToArray(), StringComparer.OrdinalIgnoreCase);
}
