using Qset.Caching;
using QsetDashboard.Styles;

namespace QsetDashboard.Model;

/// <summary>One row of the seed's "Compare the versions" table, as this C# code spells it.</summary>
/// <param name="Style">The style's name, written on its first row only.</param>
/// <param name="Service">What the calls are made on, written on the style's first row only.</param>
/// <param name="Get">The read call.</param>
/// <param name="Set">The write call.</param>
/// <param name="Remove">The delete call.</param>
/// <param name="Model">The entity declaration.</param>
/// <param name="KeyExample">The key id 1 gets.</param>
/// <param name="OwnsKey">Which live keys belong to the row.</param>
public sealed record StyleRow(string Style, string Service, string Get, string Set, string Remove, string Model, string KeyExample, Func<CacheEntry, bool> OwnsKey);

/// <summary>The seed's comparison table, translated.</summary>
public static class StyleComparison
{
    /// <summary>The rows, in the seed's order.</summary>
    public static IReadOnlyList<StyleRow> Rows { get; } =
    [
        new("Simple", "SimpleCache", "GetUserAsync(id)", "SetUserAsync(id, \"name\")", "RemoveUserAsync(id)", "User : CacheableModel", "1", IsBare),
        new("Generic", "GenericCache", "GetAsync<User>(id)", "SetAsync(id, user)", "RemoveAsync<User>(id)", "User : CacheableModel", "User.1", e => IsTyped(e, "User")),
        new(string.Empty, string.Empty, "GetAsync<Team>(id)", "SetAsync(id, team)", "RemoveAsync<Team>(id)", "Team : CacheableModel", "Team.1", e => IsTyped(e, "Team")),
        new("Cacheable Model", "ModelCache<T>", "users.GetAsync(id)", "users.SetAsync(id, user)", "users.RemoveAsync(id)", "ModelCache<User> users", "User.1", e => IsTyped(e, "User")),
        new(string.Empty, string.Empty, "teams.GetAsync(id)", "teams.SetAsync(id, team)", "teams.RemoveAsync(id)", "ModelCache<Team> teams", "Team.1", e => IsTyped(e, "Team")),
    ];

    private static bool IsBare(CacheEntry entry) => !entry.Key.Contains('.', StringComparison.Ordinal);

    private static bool IsTyped(CacheEntry entry, string type) =>
        entry.Key.StartsWith(type + ".", StringComparison.Ordinal);
}
