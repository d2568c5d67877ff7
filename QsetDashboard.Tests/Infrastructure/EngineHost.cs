using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Time.Testing;
using Qset.Caching;
using QsetDashboard.Data;
using QsetDashboard.Demos;
using QsetDashboard.Styles;

namespace QsetDashboard.Tests.Infrastructure;

/// <summary>The engine as the app wires it, over a real SQLite file, without a web host.</summary>
public sealed class EngineHost : IAsyncDisposable
{
    private readonly TestDatabase? _database;
    private readonly ServiceProvider _services;

    private EngineHost(IDictionary<string, string?> settings, TimeProvider? timeProvider, string? sharedConnectionString, IStoreSeams? seams)
    {
        _database = TestDatabase.UnlessShared(sharedConnectionString);
        ConnectionString = sharedConnectionString ?? _database!.ConnectionString;
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(settings).Build();
        var services = new ServiceCollection();
        services.AddLogging(b => b.SetMinimumLevel(LogLevel.Warning));
        if (timeProvider is not null)
        {
            services.AddSingleton(timeProvider);
        }

        if (seams is not null)
        {
            services.AddSingleton(seams);
        }

        services.AddQsetSample(ConnectionString);
        services.AddQsetCache(configuration.GetSection(CacheOptions.SectionName));
        services.AddQsetDemos();
        _services = services.BuildServiceProvider(new ServiceProviderOptions { ValidateOnBuild = true, ValidateScopes = true });
    }

    public IServiceProvider Services => _services;

    /// <summary>The SQLite database; pass it to another host to make a second node over the same data.</summary>
    public string ConnectionString { get; }

    public QsetCache Cache => Get<QsetCache>();

    public EventJournal Journal => Get<EventJournal>();

    public GenericCache Generic => Get<GenericCache>();

    public SimpleCache Simple => Get<SimpleCache>();

    public EntityRepository Repository => Get<EntityRepository>();

    public DemoCatalog Demos => Get<DemoCatalog>();

    public FakeTimeProvider? FakeTime => _services.GetService<TimeProvider>() as FakeTimeProvider;

    internal static async Task<EngineHost> StartAsync(
        Action<Dictionary<string, string?>>? configure = null,
        TimeProvider? timeProvider = null,
        string? sharedConnectionString = null,
        TestStoreSeams? seams = null)
    {
        var settings = new Dictionary<string, string?>();
        configure?.Invoke(settings);
        var host = new EngineHost(settings, timeProvider, sharedConnectionString, seams);
        try
        {
            await DatabaseSetup.MigrateAsync(host.Get<IDbContextFactory<QsetsDbContext>>());
        }
        catch
        {
            await host.DisposeAsync();
            throw;
        }

        return host;
    }

    public T Get<T>() where T : notnull => _services.GetRequiredService<T>();

    /// <summary>A plain DbContext from the app's factory, interceptors and all: writes through it are the app's writes.</summary>
    public QsetsDbContext NewContext() => Get<IDbContextFactory<QsetsDbContext>>().CreateDbContext();

    /// <summary>Every event in the journal, oldest first.</summary>
    public IReadOnlyList<CacheEvent> Events() => Journal.ReadAfter(0);

    /// <summary>Every event of the journal, one a line, for an assertion's message: why a read missed or a count is off.</summary>
    public string DumpEvents() =>
        string.Join("\n   ", Events().Select(e => $"{e.Sequence} {e.Kind.Label()} {e.Key} [{e.Source}] {e.Detail}"));

    public async ValueTask DisposeAsync()
    {
        await _services.DisposeAsync();
        _database?.Dispose();
    }
}
