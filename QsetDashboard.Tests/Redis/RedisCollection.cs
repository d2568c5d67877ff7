using QsetDashboard.Tests.Infrastructure;

namespace QsetDashboard.Tests.Redis;

/// <summary>The tests that share one redis-server; each test gets a key prefix of its own, so they never see each other's keys.</summary>
[CollectionDefinition(Name)]
public sealed class RedisCollection : ICollectionFixture<RedisServer>
{
    public const string Name = "redis";

    /// <summary>
    /// Points the settings under <paramref name="section"/> (the sample's <c>Cache</c>, or the <c>Qset</c> an
    /// <see cref="Engine.EngineOnlyHost"/> binds) at <paramref name="redis"/>, with <paramref name="backend"/> and a prefix of the test's own.
    /// </summary>
    public static void Configure(Dictionary<string, string?> settings, RedisServer redis, string backend, string? prefix = null, string section = "Cache")
    {
        settings[$"{section}:Backend"] = backend;
        settings[$"{section}:Redis"] = redis.ConnectionString;
        settings[$"{section}:RedisPrefix"] = prefix ?? $"t{Guid.NewGuid():N}:";

        // Generous for a loaded 2-core CI machine; an outage is still noticed at once (commands fail fast).
        settings[$"{section}:RedisTimeout"] = "00:00:05";
    }
}
