using Microsoft.Data.Sqlite;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Infrastructure;
using Microsoft.EntityFrameworkCore.Storage;

namespace QsetDashboard.Data;

/// <summary>The database the sample runs on (<c>Database:Provider</c>).</summary>
public enum SampleDatabase
{
    /// <summary>An embedded SQLite file (the default).</summary>
    Sqlite,

    /// <summary>A PostgreSQL server, through Npgsql; <c>ConnectionStrings:Qsets</c> names it.</summary>
    Postgres,
}

/// <summary>Resolves the connection string and brings the database to the latest migration.</summary>
public static class DatabaseSetup
{
    /// <summary>The name of the connection string that overrides the default database file.</summary>
    public const string ConnectionStringName = "Qsets";

    /// <summary>The configuration key that picks the database (<c>Sqlite</c> or <c>Postgres</c>).</summary>
    public const string ProviderKey = "Database:Provider";

    /// <summary>
    /// The connection string for <paramref name="provider"/>: SQLite's default file when none is configured; PostgreSQL's
    /// must be configured, or the app stops at start with a message that says how.
    /// </summary>
    public static string ResolveConnectionString(SampleDatabase provider, string? configured, string contentRoot)
    {
        if (provider == SampleDatabase.Sqlite)
        {
            return ResolveConnectionString(configured, contentRoot);
        }

        return string.IsNullOrWhiteSpace(configured)
            ? throw new InvalidOperationException(
                $"{ProviderKey} is Postgres, so ConnectionStrings:{ConnectionStringName} must name the server, e.g. --ConnectionStrings:{ConnectionStringName} \"Host=127.0.0.1;Port=5432;Username=postgres;Database=qsets\".")
            : configured;
    }

    /// <summary>
    /// The configured connection string, or a file in <c>data/</c> under <paramref name="contentRoot"/>;
    /// the folder of a file database is created when missing.
    /// </summary>
    public static string ResolveConnectionString(string? configured, string contentRoot)
    {
        var builder = new SqliteConnectionStringBuilder(
            string.IsNullOrWhiteSpace(configured) ? $"Data Source={Path.Combine(contentRoot, "data", "qsets.db")}" : configured);
        if (builder.Mode != SqliteOpenMode.Memory && !string.IsNullOrEmpty(builder.DataSource) && builder.DataSource != ":memory:")
        {
            var folder = Path.GetDirectoryName(Path.GetFullPath(builder.DataSource));
            if (!string.IsNullOrEmpty(folder))
            {
                Directory.CreateDirectory(folder);
            }
        }

        return builder.ToString();
    }

    /// <summary>
    /// Applies the checked-in migrations (the seed's <c>manage.py migrate</c>) and turns on WAL journaling. The migrations
    /// are SQLite's: on PostgreSQL the schema is created from the model instead, when the database has none.
    /// </summary>
    public static async Task MigrateAsync(IDbContextFactory<QsetsDbContext> factory, CancellationToken cancellationToken = default)
    {
        await using var db = await factory.CreateDbContextAsync(cancellationToken);
        if (!db.Database.IsSqlite())
        {
            // EnsureCreated makes nothing in a database that has any table (someone else's): then the sample's own are made
            // when none of them is there yet.
            if (!await db.Database.EnsureCreatedAsync(cancellationToken) && !await AnyTableOfTheModelAsync(db, cancellationToken))
            {
                await db.GetService<IRelationalDatabaseCreator>().CreateTablesAsync(cancellationToken);
            }

            return;
        }

        await db.Database.MigrateAsync(cancellationToken);
        await db.Database.ExecuteSqlRawAsync("PRAGMA journal_mode=WAL;", cancellationToken);
    }

    private static async Task<bool> AnyTableOfTheModelAsync(QsetsDbContext db, CancellationToken cancellationToken)
    {
        var names = db.Model.GetRelationalModel().Tables.Select(t => t.Name).ToArray();
        var count = await db.Database
            .SqlQuery<int>($"SELECT count(*)::int AS \"Value\" FROM information_schema.tables WHERE table_schema = current_schema() AND table_name = ANY({names})")
            .SingleAsync(cancellationToken);
        return count > 0;
    }
}
