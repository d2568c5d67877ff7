using QsetDashboard.Tests.Infrastructure;

namespace QsetDashboard.Tests.Redis;

/// <summary>The tests that share one redis-server; each test gets a key prefix of its own, so they never see each other's keys.</summary>
[CollectionDefinition(Name)]
public sealed class RedisCollection : ICollectionFixture<RedisServer>
{
    public const string Name = "redis";

    public static void Configure(Dictionary<string, string?> settings, RedisServer redis, string backend, string? prefix = null)
    {
        settings["Cache:Backend"] = backend;
        settings["Cache:Redis"] = redis.ConnectionString;
        settings["Cache:RedisPrefix"] = prefix ?? $"t{Guid.NewGuid():N}:";

        // Generous for a loaded 2-core CI machine; an outage is still noticed at once (commands fail fast).
        settings["Cache:RedisTimeout"] = "00:00:05";
    }
}
