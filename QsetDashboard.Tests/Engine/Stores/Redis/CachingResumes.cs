using QsetDashboard.Tests.Infrastructure;

namespace QsetDashboard.Tests.Engine.Stores.Redis;

/// <summary>After an outage or a refused server: reads go back to the cache, and none ever gives an old value.</summary>
internal static class CachingResumes
{
    /// <summary>
    /// Reads book <paramref name="id"/> until a read is served from the cache again; every read on the way, from the
    /// database or the cache, must give <paramref name="title"/>. <paramref name="until"/> says what is awaited.
    /// </summary>
    public static Task WithAsync(EngineOnlyHost host, int id, string title, string until, int timeoutMs = 10_000) =>
        Eventually.TrueAsync(
            async () =>
            {
                Assert.Equal(title, (await host.Entities.FindAsync<Book>(id))!.Title);
                var again = await host.Entities.ReadAsync<Book>([id]);
                Assert.Equal(title, again.Value?.Title);
                return again.Hit;
            },
            () => $"{until}; events:\n   {host.DumpEvents()}",
            timeoutMs);
}
