using QsetDashboard.Tests.Infrastructure;

namespace QsetDashboard.Tests.Redis;

/// <summary>The tests that share one three-node Redis Cluster; each test gets a key prefix (a hash tag) of its own.</summary>
[CollectionDefinition(Name)]
public sealed class RedisClusterCollection : ICollectionFixture<RedisCluster>
{
    public const string Name = "redis-cluster";

    /// <summary>A prefix that is a hash tag, as the README says a cluster needs: every key of the test in one slot.</summary>
    public static string TaggedPrefix() => $"{{t{Guid.NewGuid():N}}}:";

    /// <summary>As <see cref="RedisCollection.Configure"/>, for the cluster: the settings under <paramref name="section"/>, a tagged prefix unless one is given.</summary>
    public static void Configure(Dictionary<string, string?> settings, RedisCluster cluster, string backend, string? prefix = null, string section = "Cache")
    {
        settings[$"{section}:Backend"] = backend;
        settings[$"{section}:Redis"] = cluster.ConnectionString;
        settings[$"{section}:RedisPrefix"] = prefix ?? TaggedPrefix();

        // Generous for a loaded 2-core CI machine, as for the single server.
        settings[$"{section}:RedisTimeout"] = "00:00:05";
    }
}
