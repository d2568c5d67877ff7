using BenchmarkDotNet.Attributes;
using Microsoft.Data.Sqlite;
using Microsoft.EntityFrameworkCore;
using Qset.Caching.Feed;
using QsetDashboard.Data;

namespace QsetDashboard.Benchmarks;

/// <summary>
/// What the change feed's triggers cost a write: a one-row <c>SaveChanges</c> (update a user's name) on a SQLite file
/// without them (the baseline) and on one with them, in the same run. Plain EF contexts, no cache: the triggers alone.
/// </summary>
[MemoryDiagnoser]
public class FeedWriteBenchmarks
{
    private readonly string _folder = Path.Combine(Path.GetTempPath(), "qset-bench", Guid.NewGuid().ToString("N"));
    private DbContextOptions<QsetsDbContext> _plain = null!;
    private DbContextOptions<QsetsDbContext> _watched = null!;
    private int _round;

    [GlobalSetup]
    public void Setup()
    {
        Directory.CreateDirectory(_folder);
        _plain = Prepare("plain.db", triggers: false);
        _watched = Prepare("watched.db", triggers: true);
    }

    private DbContextOptions<QsetsDbContext> Prepare(string file, bool triggers)
    {
        var connectionString = new SqliteConnectionStringBuilder { DataSource = Path.Combine(_folder, file) }.ToString();
        var options = new DbContextOptionsBuilder<QsetsDbContext>().UseSqlite(connectionString).Options;
        using (var db = new QsetsDbContext(options))
        {
            db.Database.Migrate();
            db.Database.ExecuteSqlRaw("PRAGMA journal_mode=WAL;");
            db.Users.Add(new User { Id = 1, Name = "Alice" });
            db.SaveChanges();
            if (triggers)
            {
                // What the feed installs, from the schema it installs it with.
                var table = WatchedTables.Of(db, new Qset.Caching.ModelNames("", [], [])).Single(t => t.Name == "Users");
                db.Database.ExecuteSqlRaw(SqliteFeedSchema.CreateLog);
                foreach (var statement in SqliteFeedSchema.Triggers(table))
                {
                    db.Database.ExecuteSqlRaw(statement);
                }
            }
        }

        return options;
    }

    [Benchmark(Baseline = true, Description = "SaveChanges, one row, no triggers")]
    public Task<int> WithoutTriggers() => RenameAsync(_plain);

    [Benchmark(Description = "SaveChanges, one row, with the feed's triggers")]
    public Task<int> WithTriggers() => RenameAsync(_watched);

    private async Task<int> RenameAsync(DbContextOptions<QsetsDbContext> options)
    {
        await using var db = new QsetsDbContext(options);
        var user = await db.Users.SingleAsync(u => u.Id == 1);
        user.Name = $"name {++_round}";
        return await db.SaveChangesAsync();
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        SqliteConnection.ClearAllPools();
        Directory.Delete(_folder, recursive: true);
    }
}
