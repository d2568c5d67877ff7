using Qset.Caching;
using QsetDashboard.Data;
using QsetDashboard.Load;

namespace QsetDashboard.Demos;

/// <summary>
/// The rows the demos own: every run deletes and rewrites them, so the API and the playground refuse to write
/// them (reads still work). The demos keep the seed's ids because their transcripts name <c>User.1</c> and <c>Team.1</c>.
/// </summary>
public static class DemoIds
{
    /// <summary>The seed's id: user 1 (simple, generic, clash, signals) and team 1 (cacheable, clash).</summary>
    public const int SeedId = 1;

    /// <summary>The user the race lab races on.</summary>
    public const int RaceLabUserId = 7;

    /// <summary>The first user id of the QuerySets demo's range, which its reset clears.</summary>
    public const int QuerySetsFirstUserId = 201;

    /// <summary>The last user id of the QuerySets demo's range.</summary>
    public const int QuerySetsLastUserId = 299;

    /// <summary>The reserved ids, as the README and the refusals say them.</summary>
    public const string Summary = "users 1, 7, 201-299 and 100001-110000 (the load lab's), and team 1";

    /// <summary>True when a demo (or the load lab, which creates and deletes its users) owns the user with <paramref name="id"/>.</summary>
    public static bool IsReservedUser(int id) =>
        id is SeedId or RaceLabUserId or (>= QuerySetsFirstUserId and <= QuerySetsLastUserId) or (>= LoadGenerator.FirstId and <= LoadGenerator.LastId);

    /// <summary>True when a demo owns the team with <paramref name="id"/>.</summary>
    public static bool IsReservedTeam(int id) => id == SeedId;

    /// <summary>True when a demo owns the <typeparamref name="T"/> with <paramref name="id"/>.</summary>
    public static bool IsReserved<T>(int id)
        where T : CacheableModel =>
        typeof(T) == typeof(Team) ? IsReservedTeam(id) : typeof(T) == typeof(User) && IsReservedUser(id);

    /// <summary>Why a write of the <typeparamref name="T"/> with <paramref name="id"/> is refused, or null when it is the user's to write.</summary>
    public static string? WhyReserved<T>(int id)
        where T : CacheableModel =>
        IsReserved<T>(id)
            ? $"{CacheKeys.EntityName<T>()} id {id} is reserved for the demos, which delete and rewrite it on every run; reserved ids are {Summary}. Use another id."
            : null;
}
