using Microsoft.Data.Sqlite;
using Microsoft.EntityFrameworkCore;

namespace QsetDashboard.Data;

/// <summary>Resolves the SQLite connection string and brings the database to the latest migration.</summary>
public static class DatabaseSetup
{
    /// <summary>The name of the connection string that overrides the default database file.</summary>
    public const string ConnectionStringName = "Qsets";

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

    /// <summary>Applies the checked-in migrations (the seed's <c>manage.py migrate</c>) and turns on WAL journaling.</summary>
    public static async Task MigrateAsync(IDbContextFactory<QsetsDbContext> factory, CancellationToken cancellationToken = default)
    {
        await using var db = await factory.CreateDbContextAsync(cancellationToken);
        await db.Database.MigrateAsync(cancellationToken);
        await db.Database.ExecuteSqlRawAsync("PRAGMA journal_mode=WAL;", cancellationToken);
    }
}
