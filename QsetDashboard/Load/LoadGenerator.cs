using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Logging;
using Qset.Caching;
using QsetDashboard.Data;
using QsetDashboard.Styles;

namespace QsetDashboard.Load;

/// <summary>
/// The load lab's engine: clients read and write users through <see cref="GenericCache"/> against the real
/// database while as many uncached readers read the same keys straight from <see cref="EntityRepository"/>, so
/// the two latencies are measured side by side under the same load. A run stops by itself at its duration
/// (at most a minute), can be cancelled, and only one runs at a time.
/// </summary>
public sealed partial class LoadGenerator(
    GenericCache cache,
    EntityRepository repository,
    IDbContextFactory<QsetsDbContext> contextFactory,
    TimeProvider timeProvider,
    ILogger<LoadGenerator> logger)
{
    /// <summary>Load users get ids above this, well clear of the demos' small ids.</summary>
    public const int IdOffset = 100_000;

    /// <summary>The lowest id of the lab's own range: a run creates its users here and removes them when it ends.</summary>
    public const int FirstId = IdOffset + 1;

    /// <summary>The highest id of the lab's own range.</summary>
    public const int LastId = IdOffset + LoadSettings.MaxKeyCount;

    // SQLite's async calls and the cache's hits complete synchronously, so a client never really awaits: it
    // yields its thread-pool thread every millisecond, so that the other clients, the sampler and the
    // dashboard's own work (rendering, SignalR) keep being scheduled on a two-core machine.
    private static readonly TimeSpan YieldEvery = TimeSpan.FromMilliseconds(1);

    private int _running;

    /// <summary>True while a run is under way.</summary>
    public bool IsRunning => Volatile.Read(ref _running) == 1;

    /// <summary>
    /// Runs the workload described by <paramref name="settings"/>, calling <paramref name="onSnapshot"/> once per
    /// sample interval (from a background thread). Cancelling <paramref name="cancellationToken"/> ends the run
    /// early; the result then says so.
    /// </summary>
    /// <exception cref="ArgumentException">The settings are invalid; the message lists every problem.</exception>
    /// <exception cref="InvalidOperationException">Another run is under way.</exception>
    public async Task<LoadResult> RunAsync(LoadSettings settings, Action<LoadSnapshot>? onSnapshot = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(settings);
        var errors = settings.Validate();
        if (errors.Count > 0)
        {
            throw new ArgumentException(string.Join(" ", errors), nameof(settings));
        }

        if (Interlocked.Exchange(ref _running, 1) == 1)
        {
            throw new InvalidOperationException("A load run is already under way: wait for it to finish or cancel it.");
        }

        try
        {
            await SeedAsync(settings.KeyCount, cancellationToken).ConfigureAwait(false);
            return await RunSeededAsync(settings, onSnapshot, cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            // The run's users are the lab's, not the user's: none is left behind, whether it ended, was cancelled or failed.
            await RemoveLoadUsersAsync(CancellationToken.None).ConfigureAwait(false);
            Volatile.Write(ref _running, 0);
        }
    }

    /// <summary>The id of the user of key rank <paramref name="rank"/> (0 the hottest).</summary>
    public static int IdOf(int rank) => IdOffset + rank + 1;

    private async Task<LoadResult> RunSeededAsync(LoadSettings settings, Action<LoadSnapshot>? onSnapshot, CancellationToken cancellationToken)
    {
        var chooser = new KeyChooser(settings.KeyCount, settings.Distribution, settings.ZipfExponent);
        var cachedClients = Enumerable.Range(0, settings.Clients).Select(_ => new ClientStats()).ToArray();
        var uncachedClients = settings.ReadPercent > 0
            ? Enumerable.Range(0, settings.Clients).Select(_ => new ClientStats()).ToArray()
            : [];
        var started = timeProvider.GetTimestamp();
        var run = new RunContext(settings, chooser, started, cancellationToken);
        var workers = cachedClients.Select((c, i) => Task.Run(() => CachedClientAsync(run, c, seed: i + 1)))
            .Concat(uncachedClients.Select((c, i) => Task.Run(() => UncachedClientAsync(run, c, seed: 1_000 + i))))
            .ToArray();
        var all = Task.WhenAll(workers);

        var sampler = new Sampler(settings, cachedClients, uncachedClients);
        List<LoadSnapshot> series = [];
        while (!all.IsCompleted)
        {
            await Task.WhenAny(all, Task.Delay(settings.SampleInterval, timeProvider, CancellationToken.None)).ConfigureAwait(false);
            var snapshot = sampler.Take(timeProvider.GetElapsedTime(started), window: true);
            series.Add(snapshot);
            Publish(onSnapshot, snapshot);
        }

        await all.ConfigureAwait(false);
        var elapsed = timeProvider.GetElapsedTime(started);
        var final = sampler.Take(elapsed, window: false);
        Publish(onSnapshot, final);
        return new LoadResult(settings, cancellationToken.IsCancellationRequested && elapsed < settings.Duration, elapsed, final, series);
    }

    private void Publish(Action<LoadSnapshot>? onSnapshot, LoadSnapshot snapshot)
    {
        try
        {
            onSnapshot?.Invoke(snapshot);
        }
#pragma warning disable CA1031 // A failing listener (a page gone away) must not stop the run.
        catch (Exception ex)
#pragma warning restore CA1031
        {
            SnapshotListenerFailed(logger, ex);
        }
    }

    private async Task CachedClientAsync(RunContext run, ClientStats stats, int seed)
    {
        var random = new Random(seed);
        var operations = 0L;
        var lastYield = timeProvider.GetTimestamp();

        // At least one operation per client, however late the thread pool starts it: a run always measures something.
        do
        {
            var id = IdOf(run.Chooser.Next(random));
            var isRead = random.Next(100) < run.Settings.ReadPercent;
            try
            {
                var started = timeProvider.GetTimestamp();
                if (isRead)
                {
                    var read = await cache.ReadAsync<User>(id, run.Token).ConfigureAwait(false);
                    stats.RecordRead(ElapsedNanoseconds(started), read.Hit);
                }
                else
                {
                    await cache.SetAsync(id, new User { Name = $"Load user {id} v{operations}" }, run.Token).ConfigureAwait(false);
                    stats.RecordWrite();
                }
            }
            catch (OperationCanceledException) when (run.Token.IsCancellationRequested)
            {
                return;
            }
#pragma warning disable CA1031 // A failed operation is counted and the client goes on, as a real client would.
            catch (Exception ex)
#pragma warning restore CA1031
            {
                stats.RecordError();
                OperationFailed(logger, ex);
            }

            operations++;
            if (timeProvider.GetElapsedTime(lastYield) >= YieldEvery)
            {
                await Task.Yield();
                lastYield = timeProvider.GetTimestamp();
            }
        }
        while (!run.IsOver(timeProvider));
    }

    private async Task UncachedClientAsync(RunContext run, ClientStats stats, int seed)
    {
        var random = new Random(seed);
        var lastYield = timeProvider.GetTimestamp();
        do
        {
            var id = IdOf(run.Chooser.Next(random));
            try
            {
                var started = timeProvider.GetTimestamp();
                await repository.FindAsync<User>(id, run.Token).ConfigureAwait(false);
                stats.RecordRead(ElapsedNanoseconds(started), hit: false);
            }
            catch (OperationCanceledException) when (run.Token.IsCancellationRequested)
            {
                return;
            }
#pragma warning disable CA1031 // As for cached clients.
            catch (Exception ex)
#pragma warning restore CA1031
            {
                stats.RecordError();
                OperationFailed(logger, ex);
            }

            if (timeProvider.GetElapsedTime(lastYield) >= YieldEvery)
            {
                await Task.Yield();
                lastYield = timeProvider.GetTimestamp();
            }
        }
        while (!run.IsOver(timeProvider));
    }

    private long ElapsedNanoseconds(long started) =>
        (long)((timeProvider.GetTimestamp() - started) * (1e9 / timeProvider.TimestampFrequency));

    private async Task SeedAsync(int keyCount, CancellationToken cancellationToken)
    {
        // What a run stopped by a crash left behind goes first, so every run starts from the same rows.
        await RemoveLoadUsersAsync(cancellationToken).ConfigureAwait(false);
        await using var db = await contextFactory.CreateDbContextAsync(cancellationToken).ConfigureAwait(false);
        for (var rank = 0; rank < keyCount; rank++)
        {
            var id = IdOf(rank);
            db.Users.Add(new User { Id = id, Name = $"Load user {id}" });
        }

        await db.SaveChangesAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// Deletes every row of the lab's id range. A bulk delete, so the write interceptors invalidate the cached
    /// users of the range after it commits, as they do for any <c>ExecuteDelete</c>.
    /// </summary>
    private async Task RemoveLoadUsersAsync(CancellationToken cancellationToken)
    {
        await using var db = await contextFactory.CreateDbContextAsync(cancellationToken).ConfigureAwait(false);
        await db.Users.Where(u => u.Id >= FirstId && u.Id <= LastId).ExecuteDeleteAsync(cancellationToken).ConfigureAwait(false);
    }

    [LoggerMessage(EventId = 40, Level = LogLevel.Debug, Message = "A load-lab operation failed")]
    private static partial void OperationFailed(ILogger logger, Exception exception);

    [LoggerMessage(EventId = 41, Level = LogLevel.Warning, Message = "A load-lab snapshot listener threw; the run goes on")]
    private static partial void SnapshotListenerFailed(ILogger logger, Exception exception);

    private sealed record RunContext(LoadSettings Settings, KeyChooser Chooser, long Started, CancellationToken Token)
    {
        public bool IsOver(TimeProvider time) => Token.IsCancellationRequested || time.GetElapsedTime(Started) >= Settings.Duration;
    }
}
