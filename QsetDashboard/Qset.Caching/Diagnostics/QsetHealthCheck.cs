using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace Qset.Caching;

/// <summary>
/// Healthy when the cache store answers a side-effect-free read; degraded while a distributed store serves from
/// the database only (Redis down or recovering) or while the database change feed is not live; unhealthy when the read throws.
/// </summary>
internal sealed class QsetHealthCheck(StoreSelection selection, Feed.FeedBoard feeds) : IHealthCheck
{
    public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        var store = selection.Store;
        try
        {
            await selection.Browser.PeekAsync("health-probe", cancellationToken).ConfigureAwait(false);
            var health = selection.Health;
            var feed = feeds.Status;
            if (feed.State is DatabaseFeedState.Blind or DatabaseFeedState.Starting or DatabaseFeedState.Unsupported)
            {
                return HealthCheckResult.Degraded($"database change feed {feed.State.ToString().ToLowerInvariant()}: {feed.Reason}");
            }

            return health.IsDegraded
                ? HealthCheckResult.Degraded($"{store.Name} store degraded: {health.HealthDescription}")
                : HealthCheckResult.Healthy($"{store.Name} store: {health.HealthDescription}");
        }
#pragma warning disable CA1031 // Any failure is the answer.
        catch (Exception ex)
#pragma warning restore CA1031
        {
            return HealthCheckResult.Unhealthy($"{store.Name} store failed.", ex);
        }
    }
}
