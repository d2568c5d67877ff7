using Microsoft.Data.Sqlite;

namespace QsetDashboard.Tests.Infrastructure;

/// <summary>A real SQLite file in a fresh temporary folder, deleted with the test.</summary>
public sealed class TestDatabase : IDisposable
{
    private readonly string _folder = Path.Combine(Path.GetTempPath(), "qset-tests", Guid.NewGuid().ToString("N"));

    public TestDatabase()
    {
        Directory.CreateDirectory(_folder);
        ConnectionString = new SqliteConnectionStringBuilder { DataSource = Path.Combine(_folder, "qsets.db"), Pooling = false }.ToString();
    }

    public string ConnectionString { get; }

    /// <summary>A fresh database for a host of its own; none when the host joins <paramref name="shared"/>, which another owns.</summary>
    public static TestDatabase? UnlessShared(string? shared) => shared is null ? new TestDatabase() : null;

    public void Dispose()
    {
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
