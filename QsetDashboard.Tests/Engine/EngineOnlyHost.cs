using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Qset.Caching;
using QsetDashboard.Tests.Infrastructure;

namespace QsetDashboard.Tests.Engine;

/// <summary>A library's own context: what the engine's tests cache, with nothing of the sample's.</summary>
public sealed class LibraryDb(DbContextOptions<LibraryDb> options) : DbContext(options)
{
    public DbSet<Book> Books => Set<Book>();

    public DbSet<Shelf> Shelves => Set<Shelf>();
}

public sealed class Book
{
    public int Id { get; set; }

    public string Title { get; set; } = "";
}

public sealed class Shelf
{
    public Guid Id { get; set; }

    public string Name { get; set; } = "";
}

/// <summary>
/// The engine as a host wires it with the README's lines (<c>AddQsetCache</c>, <c>UseQsetCache</c>) over a SQLite file
/// and <see cref="LibraryDb"/>: no sample, no demos, no web host.
/// </summary>
public sealed class EngineOnlyHost : IAsyncDisposable
{
    private readonly TestDatabase _database = new();
    private readonly ServiceProvider _services;

    private EngineOnlyHost(IDictionary<string, string?> settings, TimeProvider? timeProvider)
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(settings).Build();
        var services = new ServiceCollection();
        services.AddLogging(b => b.SetMinimumLevel(LogLevel.Warning));
        if (timeProvider is not null)
        {
            services.AddSingleton(timeProvider);
        }

        services.AddDbContextFactory<LibraryDb>((sp, o) => o.UseSqlite(_database.ConnectionString).UseQsetCache(sp));
        services.AddQsetCache(configuration.GetSection("Qset"));
        _services = services.BuildServiceProvider(new ServiceProviderOptions { ValidateOnBuild = true, ValidateScopes = true });
    }

    public QsetCache Cache => Get<QsetCache>();

    public EntityCache<LibraryDb> Entities => Get<EntityCache<LibraryDb>>();

    public ICacheStore Store => Get<ICacheStore>();

    public ICacheBrowser Browser => Get<ICacheBrowser>();

    public static async Task<EngineOnlyHost> StartAsync(Action<Dictionary<string, string?>>? configure = null, TimeProvider? timeProvider = null)
    {
        var settings = new Dictionary<string, string?>();
        configure?.Invoke(settings);
        var host = new EngineOnlyHost(settings, timeProvider);
        await using var db = host.NewContext();
        await db.Database.EnsureCreatedAsync();
        return host;
    }

    public T Get<T>()
        where T : notnull => _services.GetRequiredService<T>();

    public LibraryDb NewContext() => Get<IDbContextFactory<LibraryDb>>().CreateDbContext();

    /// <summary>Every event so far, oldest first.</summary>
    public IReadOnlyList<CacheEvent> Events() => Get<EventJournal>().ReadAfter(0);

    /// <summary>Adds a book straight to the database.</summary>
    public async Task AddBookAsync(int id, string title)
    {
        await using var db = NewContext();
        db.Books.Add(new Book { Id = id, Title = title });
        await db.SaveChangesAsync();
    }

    public async ValueTask DisposeAsync()
    {
        await _services.DisposeAsync();
        _database.Dispose();
    }
}
