using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Qset.Caching;
using QsetDashboard.Data;
using QsetDashboard.Tests.Infrastructure;

namespace QsetDashboard.Tests.Foreign;

/// <summary>A host that is not ours: its own <see cref="ShopDb"/> wired as the README says, beside the sample's context.</summary>
public sealed class ShopHost : IAsyncDisposable
{
    private readonly TestDatabase? _database;
    private readonly ServiceProvider _services;

    private ShopHost(IDictionary<string, string?> settings, string? sharedConnectionString)
    {
        _database = TestDatabase.UnlessShared(sharedConnectionString);
        ConnectionString = sharedConnectionString ?? _database!.ConnectionString;
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(settings).Build();
        var services = new ServiceCollection();
        services.AddLogging(b => b.SetMinimumLevel(LogLevel.Warning));
        services.AddDbContextFactory<ShopDb>((sp, o) => o.UseSqlite(ConnectionString).UseQsetCache(sp));
        services.AddQsetSample(ConnectionString.Replace("qsets.db", "sample.db", StringComparison.Ordinal));
        services.AddQsetCache(configuration.GetSection("Qset"));
        _services = services.BuildServiceProvider(new ServiceProviderOptions { ValidateOnBuild = true, ValidateScopes = true });
    }

    public string ConnectionString { get; }

    public EntityCache<ShopDb> Entities => Get<EntityCache<ShopDb>>();

    public QsetCache Cache => Get<QsetCache>();

    public static async Task<ShopHost> StartAsync(Action<Dictionary<string, string?>>? configure = null, string? sharedConnectionString = null)
    {
        var settings = new Dictionary<string, string?>();
        configure?.Invoke(settings);
        var host = new ShopHost(settings, sharedConnectionString);
        if (sharedConnectionString is null)
        {
            await using var db = host.NewContext();
            await db.Database.EnsureCreatedAsync();
            await DatabaseSetup.MigrateAsync(host.Get<IDbContextFactory<QsetsDbContext>>());
        }

        return host;
    }

    public T Get<T>() where T : notnull => _services.GetRequiredService<T>();

    public ShopDb NewContext() => Get<IDbContextFactory<ShopDb>>().CreateDbContext();

    public IReadOnlyList<CacheEvent> Events() => Get<EventJournal>().ReadAfter(0);

    public async ValueTask DisposeAsync()
    {
        await _services.DisposeAsync();
        _database?.Dispose();
    }
}
