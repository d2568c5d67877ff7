using Microsoft.Extensions.Diagnostics.HealthChecks;
using QsetDashboard.Data;

namespace QsetDashboard.Api;

/// <summary>Healthy when the database answers and takes writes; degraded when it answers but refuses writes (locked, read-only).</summary>
internal sealed class DatabaseHealthCheck(EntityRepository repository, DatabaseWriteProbe writeProbe) : IHealthCheck
{
    public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        try
        {
            if (!await repository.CanConnectAsync(cancellationToken))
            {
                return HealthCheckResult.Unhealthy("SQLite cannot be opened.");
            }

            return await writeProbe.RunAsync(cancellationToken) is { } refusal
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

/// <summary>
/// The write probe of <c>/health</c> (<see cref="EntityRepository.ProbeWriteAsync"/>: it takes SQLite's write lock for a
/// moment), run once for every caller that asks while it runs: a flood of anonymous health checks then holds at most
/// one probe on the write lock at a time, not one per request queued in front of the app's own writes. A probe that
/// finished is not reused: the next caller starts a new one.
/// </summary>
internal sealed class DatabaseWriteProbe
{
    private readonly Func<CancellationToken, Task<string?>> _probe;
    private readonly Lock _gate = new();
    private Task<string?>? _running;
    private long _started;

    /// <summary>Probes through <paramref name="repository"/>.</summary>
    public DatabaseWriteProbe(EntityRepository repository)
        : this(repository.ProbeWriteAsync)
    {
    }

    /// <summary>Probes with <paramref name="probe"/> (tests give one they control).</summary>
    internal DatabaseWriteProbe(Func<CancellationToken, Task<string?>> probe) => _probe = probe;

    /// <summary>How many probes were started.</summary>
    internal long Started => Interlocked.Read(ref _started);

    /// <summary>
    /// Null when the database takes writes, else why not: the result of the probe running now, or of a new one. A
    /// caller's cancellation stops its wait, not the probe the others share.
    /// </summary>
    public Task<string?> RunAsync(CancellationToken cancellationToken = default)
    {
        Task<string?> running;
        lock (_gate)
        {
            // Task.Run never runs the probe inline, so it cannot finish (and clear the slot) before it is stored.
            running = _running ??= Task.Run(ProbeOnceAsync, CancellationToken.None);
        }

        return running.WaitAsync(cancellationToken);
    }

    private async Task<string?> ProbeOnceAsync()
    {
        Interlocked.Increment(ref _started);
        try
        {
            return await _probe(CancellationToken.None).ConfigureAwait(false);
        }
        finally
        {
            lock (_gate)
            {
                _running = null;
            }
        }
    }
}
