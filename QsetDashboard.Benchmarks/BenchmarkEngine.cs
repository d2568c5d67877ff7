using Microsoft.Data.Sqlite;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Qset.Caching;
using QsetDashboard.Data;
using QsetDashboard.Styles;

namespace QsetDashboard.Benchmarks;

/// <summary>
/// The engine as the app wires it, over a real SQLite file in a temporary folder, with one seeded user.
/// Logging goes to the console at Warning, so events are recorded (counters, journal) but HITs are not printed.
/// </summary>
public sealed class BenchmarkEngine : IAsyncDisposable
{
    /// <summary>The id of the seeded user every benchmark reads.</summary>
    public const int UserId = 1;

    private readonly string _folder = Path.Combine(Path.GetTempPath(), "qset-bench", Guid.NewGuid().ToString("N"));
    private readonly ServiceProvider _services;

    private BenchmarkEngine(IDictionary<string, string?>? settings, string? postgres)
    {
        Directory.CreateDirectory(_folder);
        var connectionString = postgres ?? new SqliteConnectionStringBuilder { DataSource = Path.Combine(_folder, "qsets.db") }.ToString();
        var values = new Dictionary<string, string?> { ["Cache:Capacity"] = "10000" };
        foreach (var (key, value) in settings ?? new Dictionary<string, string?>())
        {
            values[key] = value;
        }

        var configuration = new ConfigurationBuilder().AddInMemoryCollection(values).Build();
        var services = new ServiceCollection();
        services.AddLogging(b => b.AddConsole().SetMinimumLevel(LogLevel.Warning));
        services.AddQsetSample(connectionString, postgres is null ? SampleDatabase.Sqlite : SampleDatabase.Postgres);
        services.AddQsetCache(configuration.GetSection(CacheOptions.SectionName));
        _services = services.BuildServiceProvider();
    }

    /// <summary>The engine's services.</summary>
    public IServiceProvider Services => _services;

    /// <summary>The engine.</summary>
    public QsetCache Cache => _services.GetRequiredService<QsetCache>();

    /// <summary>Style 1.</summary>
    public SimpleCache Simple => _services.GetRequiredService<SimpleCache>();

    /// <summary>Style 2.</summary>
    public GenericCache Generic => _services.GetRequiredService<GenericCache>();

    /// <summary>Style 3.</summary>
    public ModelCache<User> Users => _services.GetRequiredService<ModelCache<User>>();

    /// <summary>The uncached repository (one DbContext per read).</summary>
    public EntityRepository Repository => _services.GetRequiredService<EntityRepository>();

    /// <summary>Creates the database (a SQLite file, or the PostgreSQL database at <paramref name="postgres"/>), migrates it and seeds the user.</summary>
    public static async Task<BenchmarkEngine> StartAsync(IDictionary<string, string?>? settings = null, string? postgres = null)
    {
        var engine = new BenchmarkEngine(settings, postgres);
        await DatabaseSetup.MigrateAsync(engine._services.GetRequiredService<IDbContextFactory<QsetsDbContext>>());
        await engine.Repository.UpsertAsync(new User { Id = UserId, Name = "Alice" });
        return engine;
    }

    /// <summary>Synchronous start for BenchmarkDotNet's setup methods.</summary>
    public static BenchmarkEngine Start(IDictionary<string, string?>? settings = null) => StartAsync(settings).GetAwaiter().GetResult();

    /// <inheritdoc />
    public async ValueTask DisposeAsync()
    {
        await _services.DisposeAsync();
        SqliteConnection.ClearAllPools();
        try
        {
            Directory.Delete(_folder, recursive: true);
        }
        catch (IOException)
        {
            // A handle still closing; the OS temp cleaner takes it.
        }
    }
}
