using Microsoft.Extensions.Diagnostics.HealthChecks;
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
