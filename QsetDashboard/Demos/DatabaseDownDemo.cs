using System.Net.Sockets;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using Qset.Caching;
using QsetDashboard.Data;
using QsetDashboard.Styles;

namespace QsetDashboard.Demos;

/// <summary>
/// Fail-safe, step by step: a user read and cached with a TTL of two seconds, the TTL runs out, the database goes down
/// (the demo's reads fail as a refused connection does), and the next read is served STALE, saying why; the database
/// comes back, the two-second throttle passes, and the next read is fresh. A real outage (a PostgreSQL server crashed
/// and restarted) is in the engine's tests; here the demo's own reads fail, so that it runs on any database.
/// </summary>
public sealed class DatabaseDownDemo(IDbContextFactory<QsetsDbContext> contexts, EntityRepository repository, QsetCache engine, IOptions<CacheOptions> options)
    : DemoScenario
{
    private static readonly TimeSpan Ttl = TimeSpan.FromSeconds(2);
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(15);
    private static readonly CacheReadPolicy Policy = CacheReadPolicy.ById<User>() with { Ttl = Ttl, FailSafeThrottle = Ttl };

    private volatile bool _down;

    /// <inheritdoc />
    public override string Name => "database-down";

    /// <inheritdoc />
    public override string Title => "The database goes down (fail-safe)";

    /// <inheritdoc />
    public override string Description =>
        "A cached user's TTL runs out, then the database goes down: the next read is served STALE, and says why. A value a write invalidated never would be.";

    /// <inheritdoc />
    public override string Header =>
        $"Testing fail-safe with the {engine.Store.Name} store, Cache:FailSafeMaxDuration {options.Value.FailSafeMaxDuration} and a TTL of {Ttl.TotalSeconds:0} s ...";

    /// <inheritdoc />
    public override IReadOnlyList<string> Keys { get; } = [CacheKeys.For<User>(SeedSteps.Id)];

    /// <inheritdoc />
    public override IReadOnlyList<DemoStep> Steps => field ??=
    [
        CreateSeedUser(contexts),
        new($"First get of user with id={SeedSteps.Id} (cached for {Ttl.TotalSeconds:0} s)", GetAsync),
        new($"Second get of user with id={SeedSteps.Id}", GetAsync),
        new($"Waiting for the entry's {Ttl.TotalSeconds:0} s TTL to run out", UntilGoneAsync),
        new("The database goes down (the demo's reads now fail as a refused connection does)", _ =>
        {
            _down = true;
            return Task.FromResult<string?>(null);
        }),
        new($"Get of user with id={SeedSteps.Id}", GetAsync),
        new($"The database comes back; waiting out the {Ttl.TotalSeconds:0} s fail-safe throttle", async ct =>
        {
            _down = false;
            return await UntilGoneAsync(ct);
        }),
        new($"Get of user with id={SeedSteps.Id}", GetAsync),
    ];

    /// <inheritdoc />
    public override async Task ResetAsync(CancellationToken cancellationToken)
    {
        _down = false;
        await ResetSeedUserAsync(contexts, engine, Keys[0], cancellationToken);
    }

    private async Task<string?> GetAsync(CancellationToken cancellationToken)
    {
        try
        {
            var read = await engine.GetAsync(Keys[0], this, static (demo, ct) => demo.LoadAsync(ct), Policy, cancellationToken);
            return read.Stale ? $"{SeedSteps.Got(read.Value)} (STALE: {read.StaleReason})" : SeedSteps.Got(read.Value);
        }
        catch (SocketException ex)
        {
            return options.Value.FailSafeMaxDuration > TimeSpan.Zero
                ? $"The read failed ({ex.Message}): fail-safe had no value it may serve"
                : $"The read failed ({ex.Message}): Cache:FailSafeMaxDuration is 0, so fail-safe is off";
        }
    }

    private Task<User?> LoadAsync(CancellationToken cancellationToken) =>
        _down
            ? Task.FromException<User?>(new SocketException((int)SocketError.ConnectionRefused))
            : repository.FindAsync<User>(SeedSteps.Id, cancellationToken);

    // The entry is gone once its TTL ran out (the store records the EXPIRE as it drops it).
    private async Task<string?> UntilGoneAsync(CancellationToken cancellationToken)
    {
        var waited = System.Diagnostics.Stopwatch.StartNew();
        while (waited.Elapsed < Wait)
        {
            if (await engine.Store.GetAsync(Keys[0], cancellationToken) is null)
            {
                return null;
            }

            await Task.Delay(TimeSpan.FromMilliseconds(50), cancellationToken);
        }

        return $"{Keys[0]} was still cached after {Wait.TotalSeconds:0} s";
    }
}
