using Microsoft.Extensions.Diagnostics.HealthChecks;
using Qset.Caching;
using QsetDashboard.Data;

namespace QsetDashboard.Api;

/// <summary>Healthy when the database answers and takes writes; degraded when it answers but refuses writes (locked, read-only).</summary>
internal sealed class DatabaseHealthCheck(EntityRepository repository) : IHealthCheck
{
    public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        try
        {
            if (!await repository.CanConnectAsync(cancellationToken))
            {
                return HealthCheckResult.Unhealthy("SQLite cannot be opened.");
            }

            return await repository.ProbeWriteAsync(cancellationToken) is { } refusal
                ? HealthCheckResult.Degraded($"SQLite answers reads but refuses writes: {refusal}")
                : HealthCheckResult.Healthy("SQLite answers reads and takes writes.");
        }
#pragma warning disable CA1031 // Any failure is the answer.
        catch (Exception ex)
#pragma warning restore CA1031
        {
            return HealthCheckResult.Unhealthy("SQLite failed.", ex);
        }
    }
}

/// <summary>Healthy when the cache store answers a read.</summary>
internal sealed class CacheStoreHealthCheck(ICacheStore store) : IHealthCheck
{
    public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        try
        {
            await store.GetAsync("health-probe", cancellationToken);
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
