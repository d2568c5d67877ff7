using System.Text.Json;
using System.Text.Json.Serialization;

namespace Qset.Caching;

/// <summary>Where a node's database change feed stands.</summary>
[JsonConverter(typeof(DatabaseFeedStateConverter))]
public enum DatabaseFeedState
{
    /// <summary><see cref="CacheOptions.WatchDatabase"/> is off: only this app's own writes invalidate.</summary>
    Off,

    /// <summary>Installing or connecting: reads go to the database until it is live.</summary>
    Starting,

    /// <summary>Following every committed change: writes from anywhere invalidate.</summary>
    Live,

    /// <summary>Down (the reason says why): reads go to the database, nothing is served from the cache, and it retries.</summary>
    Blind,

    /// <summary>The database's provider has no change feed: writes from outside this app are not seen.</summary>
    Unsupported,
}

/// <summary>What <c>/api/cache/stats</c> and the dashboard show of the change feed.</summary>
/// <param name="State">Where the feed stands (the worst of the node's databases).</param>
/// <param name="LagMs">How long after its commit the last change was applied, in milliseconds; null before any.</param>
/// <param name="LastChangeAt">When the last applied change was committed; null before any.</param>
/// <param name="Reason">Why the feed is not live, or what it follows when it is.</param>
public sealed record DatabaseFeedStatus(DatabaseFeedState State, double? LagMs, DateTimeOffset? LastChangeAt, string? Reason)
{
    /// <summary>The status of a node that does not watch its database.</summary>
    public static DatabaseFeedStatus Off { get; } = new(DatabaseFeedState.Off, null, null, "Cache:WatchDatabase is off: writes from outside this app are seen only when their entries expire");

    /// <summary>How many changes the feed applied since the node started.</summary>
    public long Changes { get; init; }
}

/// <summary>Writes the feed's state in lower case (<c>live</c>), as the rest of the API's words are.</summary>
internal sealed class DatabaseFeedStateConverter() : JsonStringEnumConverter<DatabaseFeedState>(JsonNamingPolicy.CamelCase);
