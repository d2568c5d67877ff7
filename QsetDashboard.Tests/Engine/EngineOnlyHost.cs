using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Qset.Caching;
using QsetDashboard.Tests.Infrastructure;

namespace QsetDashboard.Tests.Engine;

/// <summary>A library's own context: what the engine's tests cache, with nothing of the sample's.</summary>
public sealed class LibraryDb(DbContextOptions<LibraryDb> options) : DbContext(options)
{
    public DbSet<Book> Books => Set<Book>();

    public DbSet<Shelf> Shelves => Set<Shelf>();

    public DbSet<Loan> Loans => Set<Loan>();

    protected override void OnModelCreating(ModelBuilder modelBuilder) =>
        modelBuilder.Entity<Loan>().HasKey(l => new { l.BookId, l.Reader });
}

public sealed class Book
{
    public int Id { get; set; }

    public string Title { get; set; } = "";
}

/// <summary>A row keyed by two columns, one of them text (so a key value may hold a comma).</summary>
public sealed class Loan
{
    public int BookId { get; set; }

    public string Reader { get; set; } = "";

    public string Note { get; set; } = "";
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
    private readonly TestDatabase? _database;
    private readonly ServiceProvider _services;
    private bool _hostedStarted;

    private EngineOnlyHost(
        IDictionary<string, string?> settings, TimeProvider? timeProvider, string? sharedConnectionString, string? postgres, IStoreSeams? seams, Action<IServiceCollection>? configureServices)
    {
        _database = postgres is null ? TestDatabase.UnlessShared(sharedConnectionString) : null;
        ConnectionString = postgres ?? sharedConnectionString ?? _database!.ConnectionString;
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

        services.AddDbContextFactory<LibraryDb>((sp, o) =>
            (postgres is null ? o.UseSqlite(ConnectionString) : o.UseNpgsql(ConnectionString)).UseQsetCache(sp));
        services.AddQsetCache(configuration.GetSection("Qset"));
        configureServices?.Invoke(services);
        _services = services.BuildServiceProvider(new ServiceProviderOptions { ValidateOnBuild = true, ValidateScopes = true });
    }

    /// <summary>The SQLite file; pass it to another host to make a second node over the same data.</summary>
    public string ConnectionString { get; }

    /// <summary>The file's path, for an outside writer (the <c>sqlite3</c> client).</summary>
    public string DatabaseFile => new Microsoft.Data.Sqlite.SqliteConnectionStringBuilder(ConnectionString).DataSource;

    public QsetCache Cache => Get<QsetCache>();

    public EntityCache<LibraryDb> Entities => Get<EntityCache<LibraryDb>>();

    public ICacheStore Store => Get<ICacheStore>();

    public ICacheBrowser Browser => Get<ICacheBrowser>();

    public EventJournal Journal => Get<EventJournal>();

    public IServiceProvider Services => _services;

    public Microsoft.Extensions.Time.Testing.FakeTimeProvider? FakeTime => _services.GetService<TimeProvider>() as Microsoft.Extensions.Time.Testing.FakeTimeProvider;

    /// <summary>
    /// A host over a fresh file (or <paramref name="sharedConnectionString"/>'s, or the PostgreSQL database at
    /// <paramref name="postgres"/>), its schema created and its hosted services started as a host starts them (the
    /// database feed among them); <paramref name="createSchema"/> false starts them over an empty database.
    /// </summary>
    internal static async Task<EngineOnlyHost> StartAsync(
        Action<Dictionary<string, string?>>? configure = null,
        TimeProvider? timeProvider = null,
        string? sharedConnectionString = null,
        bool createSchema = true,
        string? postgres = null,
        TestStoreSeams? seams = null,
        Action<IServiceCollection>? configureServices = null)
    {
        var settings = new Dictionary<string, string?>();
        configure?.Invoke(settings);
        var host = new EngineOnlyHost(settings, timeProvider, sharedConnectionString, postgres, seams, configureServices);
        try
        {
            if (createSchema)
            {
                await host.CreateSchemaAsync();
            }

            await host.StartHostedServicesAsync();
        }
        catch
        {
            // A start that fails (settings the engine rejects) still lets go of the file and the services.
            await host.DisposeAsync();
            throw;
        }

        return host;
    }

    /// <summary>Creates the tables (when missing).</summary>
    public async Task CreateSchemaAsync()
    {
        await using var db = NewContext();
        await db.Database.EnsureCreatedAsync();
    }

    private async Task StartHostedServicesAsync()
    {
        var hosted = _services.GetServices<IHostedService>().ToList();
        foreach (var service in hosted.OfType<IHostedLifecycleService>())
        {
            await service.StartingAsync(CancellationToken.None);
        }

        foreach (var service in hosted)
        {
            await service.StartAsync(CancellationToken.None);
        }

        _hostedStarted = true;
    }

    public T Get<T>()
        where T : notnull => _services.GetRequiredService<T>();

    public LibraryDb NewContext() => Get<IDbContextFactory<LibraryDb>>().CreateDbContext();

    /// <summary>Every event so far, oldest first.</summary>
    public IReadOnlyList<CacheEvent> Events() => Get<EventJournal>().ReadAfter(0);

    /// <summary>Every event of the journal, one a line, for an assertion's message: why a read missed or a count is off.</summary>
    public string DumpEvents() =>
        string.Join("\n   ", Events().Select(e => $"{e.Sequence} {e.Kind.Label()} {e.Key} [{e.Source}] {e.Detail}"));

    /// <summary>Book <paramref name="id"/> through the engine's read path under <paramref name="key"/> (a key of the test's choosing), loaded with a context of its own.</summary>
    public ValueTask<CacheRead<Book>> GetBookAsync(string key, int id) =>
        Cache.GetAsync<Book, (EngineOnlyHost Host, int Id)>(key, (this, id), async (state, ct) =>
        {
            await using var db = state.Host.NewContext();
            return await db.Books.FindAsync([state.Id], ct);
        });

    /// <summary>
    /// As <see cref="GetBookAsync(string, int)"/>, the load awaiting <paramref name="afterRead"/> between its database read
    /// and the populate: a read a test holds open (a gate), or slows as a network round trip would.
    /// </summary>
    public ValueTask<CacheRead<Book>> GetBookAsync(string key, int id, Func<Book?, CancellationToken, Task> afterRead) =>
        Cache.GetAsync<Book, (EngineOnlyHost Host, int Id, Func<Book?, CancellationToken, Task> AfterRead)>(key, (this, id, afterRead), static async (state, ct) =>
        {
            Book? book;
            await using (var db = state.Host.NewContext())
            {
                book = await db.Books.FindAsync([state.Id], ct);
            }

            await state.AfterRead(book, ct);
            return book;
        });

    /// <summary>Adds a book straight to the database.</summary>
    public async Task AddBookAsync(int id, string title)
    {
        await using var db = NewContext();
        db.Books.Add(new Book { Id = id, Title = title });
        await db.SaveChangesAsync();
    }

    /// <summary>
    /// Writes book <paramref name="id"/> titled <paramref name="title"/> through a context, an insert or an update: a
    /// host's own write, whose key the interceptors invalidate after commit (on Hybrid, once every node dropped its copy).
    /// </summary>
    public async Task SaveBookAsync(int id, string title)
    {
        await using var db = NewContext();
        if (await db.Books.FindAsync(id) is { } book)
        {
            book.Title = title;
        }
        else
        {
            db.Books.Add(new Book { Id = id, Title = title });
        }

        await db.SaveChangesAsync();
    }

    /// <summary>Adds a shelf straight to the database: a row of a second table, with a key of another type.</summary>
    public async Task AddShelfAsync(Guid id, string name)
    {
        await using var db = NewContext();
        db.Shelves.Add(new Shelf { Id = id, Name = name });
        await db.SaveChangesAsync();
    }

    public async ValueTask DisposeAsync()
    {
        if (_hostedStarted)
        {
            foreach (var service in _services.GetServices<IHostedService>().Reverse())
            {
                await service.StopAsync(CancellationToken.None);
            }
        }

        await _services.DisposeAsync();
        _database?.Dispose();
    }
}
