using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace Qset.Caching;

/// <summary>
/// Healthy when the cache store answers a side-effect-free read; degraded while a distributed store serves from
/// the database only (Redis down or recovering); unhealthy when the read throws.
/// </summary>
internal sealed class QsetHealthCheck(ICacheStore store) : IHealthCheck
{
    public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        try
        {
            await store.PeekAsync("health-probe", cancellationToken).ConfigureAwait(false);
            if (store is IReportsHealth health)
            {
                return health.IsDegraded
                    ? HealthCheckResult.Degraded($"{store.Name} store degraded: {health.HealthDescription}")
                    : HealthCheckResult.Healthy($"{store.Name} store: {health.HealthDescription}");
            }

            return HealthCheckResult.Healthy($"{store.Name} store: {store.Count}/{store.Capacity} entries.");
        }
#pragma warning disable CA1031 // Any failure is the answer.
        catch (Exception ex)
#pragma warning restore CA1031
        {
            return HealthCheckResult.Unhealthy($"{store.Name} store failed.", ex);
        }
    }
}
