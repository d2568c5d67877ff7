using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Time.Testing;
using Qset.Caching;
using Qset.Caching.Feed;
using QsetDashboard.Tests.Infrastructure;

namespace QsetDashboard.Tests.Engine.Feed;

/// <summary>
/// Writes nobody told the cache of (another process, with plain SQL) invalidate what they change, through the change
/// log the feed's triggers write; in-app writes seen again are recognized; a feed that cannot follow says so.
/// </summary>
public sealed class SqliteFeedTests
{
    private static Task<EngineOnlyHost> WatchingAsync(TimeProvider? time = null, string? shared = null, bool createSchema = true) =>
        EngineOnlyHost.StartAsync(s => s["Qset:WatchDatabase"] = "true", time, shared, createSchema);

    private static IChangeFeed FeedOf(EngineOnlyHost host) => Assert.Single(host.Get<DatabaseWatch>().Feeds);

    private static async Task<CacheRead<Book>> CachedBookAsync(EngineOnlyHost host, int id)
    {
        await host.Entities.ReadAsync<Book>([id]);
        var read = await host.Entities.ReadAsync<Book>([id]);
        Assert.True(read.Hit, $"book {id} is cached before the outside write");
        return read;
    }

    /// <summary>Waits until the feed of <paramref name="host"/> read every change committed so far.</summary>
    private static async Task CaughtUpAsync(EngineOnlyHost host)
    {
        var head = long.Parse(await OutsideWriter.SqliteAsync(host.DatabaseFile, "SELECT seq FROM sqlite_sequence WHERE name = '__qset_changes';"), System.Globalization.CultureInfo.InvariantCulture);
        await Eventually.TrueAsync(() => FeedOf(host).Position >= head, $"the feed read up to change #{head}");
    }

    private static Task UntilNotHeldAsync(EngineOnlyHost host, string key) =>
        Eventually.TrueAsync(async () => await host.Browser.PeekAsync(key) is null, $"the feed invalidated {key}");

    [Fact]
    public async Task AnUpdateByAnotherProcess_InvalidatesTheRowsKey_WithADatabaseEvent()
    {
        await using var host = await WatchingAsync();
        await host.AddBookAsync(1, "Alice");
        await CachedBookAsync(host, 1);

        await OutsideWriter.SqliteAsync(host.DatabaseFile, "UPDATE Books SET Title = 'Mallory' WHERE Id = 1;");
        await UntilNotHeldAsync(host, "LibraryDb:Book.1");

        var read = await host.Entities.ReadAsync<Book>([1]);
        Assert.False(read.Hit);
        Assert.Equal("Mallory", read.Value!.Title);
        var invalidate = Assert.Single(host.Events(), e => e.Kind == CacheEventKind.Invalidate && e.Source == "database");
        Assert.Equal("LibraryDb:Book.1", invalidate.Key);
        Assert.Contains("Books row 1 changed (change #", invalidate.Detail, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ADeleteByAnotherProcess_IsSeen_SoTheRowReadsAsGone()
    {
        await using var host = await WatchingAsync();
        await host.AddBookAsync(7, "doomed");
        await CachedBookAsync(host, 7);

        await OutsideWriter.SqliteAsync(host.DatabaseFile, "DELETE FROM Books WHERE Id = 7;");
        await UntilNotHeldAsync(host, "LibraryDb:Book.7");

        Assert.Null((await host.Entities.ReadAsync<Book>([7])).Value);
    }

    [Fact]
    public async Task GuidAndCompositeKeys_AreNamedAsTheInterceptorsNameThem()
    {
        await using var host = await WatchingAsync();
        var shelf = Guid.NewGuid();
        await using (var db = host.NewContext())
        {
            db.Shelves.Add(new Shelf { Id = shelf, Name = "top" });
            db.Loans.Add(new Loan { BookId = 3, Reader = "Doe, Jane's", Note = "due" });
            await db.SaveChangesAsync();
        }

        await host.Entities.ReadAsync<Shelf>([shelf]);
        await host.Entities.ReadAsync<Loan>([3, "Doe, Jane's"]);
        var shelfKey = CacheKeys.For("LibraryDb:Shelf", shelf);
        var loanKey = CacheKeys.For("LibraryDb:Loan", [3, "Doe, Jane's"]);
        Assert.NotNull(await host.Browser.PeekAsync(shelfKey));
        Assert.NotNull(await host.Browser.PeekAsync(loanKey));

        await OutsideWriter.SqliteAsync(host.DatabaseFile,
            "UPDATE Shelves SET Name = 'bottom'; UPDATE Loans SET Note = 'returned' WHERE BookId = 3;");
        await UntilNotHeldAsync(host, shelfKey);
        await UntilNotHeldAsync(host, loanKey);

        Assert.Equal("bottom", (await host.Entities.ReadAsync<Shelf>([shelf])).Value!.Name);
        Assert.Equal("returned", (await host.Entities.ReadAsync<Loan>([3, "Doe, Jane's"])).Value!.Note);
    }

    [Fact]
    public async Task AnOutsideInsert_InvalidatesTheTablesCachedQueries()
    {
        await using var host = await WatchingAsync();
        await host.AddBookAsync(1, "one");
        async Task<int> CountAsync()
        {
            await using var db = host.NewContext();
            return (await db.Books.Cacheable().ToListAsync()).Count;
        }

        Assert.Equal(1, await CountAsync());
        Assert.Equal(1, await CountAsync());

        await OutsideWriter.SqliteAsync(host.DatabaseFile, "INSERT INTO Books (Id, Title) VALUES (2, 'two');");

        await Eventually.TrueAsync(async () => await CountAsync() == 2, "the cached list saw the outside insert");
    }

    [Fact]
    public async Task AnInAppWrite_SeenAgainOnTheFeed_IsRecognized_AndInvalidatesOnce()
    {
        await using var host = await WatchingAsync();
        await host.AddBookAsync(1, "before");
        await CachedBookAsync(host, 1);
        var before = host.Events()[^1].Sequence;
        await using (var db = host.NewContext())
        {
            (await db.Books.FindAsync(1))!.Title = "after";
            await db.SaveChangesAsync();
        }

        var reread = await host.Entities.ReadAsync<Book>([1]);
        Assert.Equal("after", reread.Value!.Title);
        await CaughtUpAsync(host);

        Assert.True((await host.Entities.ReadAsync<Book>([1])).Hit, "the value read after the write stays cached");
        var invalidate = Assert.Single(host.Events(), e => e.Sequence > before && e.Kind == CacheEventKind.Invalidate && e.Key == "LibraryDb:Book.1");
        Assert.Equal("ef", invalidate.Source);
        Assert.Equal(0, FeedOf(host).Echoes.Count);
    }

    [Theory]
    [InlineData("ExecuteSql")]
    [InlineData("ExecuteUpdate")]
    [InlineData("transaction")]
    public async Task AnInAppBulkOrTransactionWrite_SeenAgainOnTheFeed_IsRecognized(string path)
    {
        await using var host = await WatchingAsync();
        await host.AddBookAsync(1, "before");
        await CaughtUpAsync(host);
        await CachedBookAsync(host, 1);
        var before = host.Events()[^1].Sequence;
        await using (var db = host.NewContext())
        {
            switch (path)
            {
                case "ExecuteSql":
                    await db.Database.ExecuteSqlAsync($"UPDATE Books SET Title = 'after' WHERE Id = 1");
                    break;
                case "ExecuteUpdate":
                    await db.Books.Where(b => b.Id == 1).ExecuteUpdateAsync(s => s.SetProperty(b => b.Title, "after"));
                    break;
                default:
                    await using (var transaction = await db.Database.BeginTransactionAsync())
                    {
                        (await db.Books.FindAsync(1))!.Title = "after";
                        await db.SaveChangesAsync();
                        await transaction.CommitAsync();
                    }

                    break;
            }
        }

        Assert.Equal("after", (await host.Entities.ReadAsync<Book>([1])).Value!.Title);
        await CaughtUpAsync(host);

        Assert.True((await host.Entities.ReadAsync<Book>([1])).Hit, "the value read after the write stays cached");
        var invalidate = Assert.Single(host.Events(), e => e.Sequence > before && e.Kind == CacheEventKind.Invalidate && e.Key == "LibraryDb:Book.1");
        Assert.Equal("ef", invalidate.Source);
    }

    [Fact]
    public async Task TwoMemoryNodes_OnOneDatabase_SeeEachOthersWrites()
    {
        await using var a = await WatchingAsync();
        await using var b = await WatchingAsync(shared: a.ConnectionString);
        await a.AddBookAsync(1, "first");
        await CaughtUpAsync(b);
        await CachedBookAsync(a, 1);
        await CachedBookAsync(b, 1);

        await using (var db = a.NewContext())
        {
            (await db.Books.FindAsync(1))!.Title = "second";
            await db.SaveChangesAsync();
        }

        await UntilNotHeldAsync(b, "LibraryDb:Book.1");
        Assert.Equal("second", (await b.Entities.ReadAsync<Book>([1])).Value!.Title);
    }

    [Fact]
    public async Task BeforeItsTablesExist_TheNodeIsBlind_ReadsGoToTheDatabase_ThenItCatchesUpOnItsOwn()
    {
        var time = new FakeTimeProvider(DateTimeOffset.UtcNow);
        await using var host = await WatchingAsync(time, createSchema: false);
        Assert.Equal(DatabaseFeedState.Blind, host.Cache.GetStats().Feed.State);
        Assert.Contains("does not exist", host.Cache.GetStats().Feed.Reason, StringComparison.Ordinal);
        var health = await new QsetHealthCheck(host.Get<StoreSelection>(), host.Get<FeedBoard>()).CheckHealthAsync(new HealthCheckContext());
        Assert.Equal(HealthStatus.Degraded, health.Status);
        Assert.Contains("does not exist", health.Description, StringComparison.Ordinal);

        await host.CreateSchemaAsync();
        await host.AddBookAsync(1, "one");
        var blind = await host.Entities.ReadAsync<Book>([1]);
        Assert.Equal("one", blind.Value!.Title);
        Assert.Null(await host.Browser.PeekAsync("LibraryDb:Book.1"));
        Assert.Contains(host.Events(), e => e.Kind == CacheEventKind.Miss && e.Detail!.Contains("not cached", StringComparison.Ordinal));

        await Eventually.TrueAsync(() =>
        {
            time.Advance(TimeSpan.FromSeconds(1));
            return host.Cache.GetStats().Feed.State == DatabaseFeedState.Live;
        }, "the feed installed once the tables existed");
        await CachedBookAsync(host, 1);
    }

    [Fact]
    public async Task ChangesDeletedBeforeTheNodeReadThem_AreAGap_TheNodeDropsWhatItHolds()
    {
        var time = new FakeTimeProvider(DateTimeOffset.UtcNow);
        await using var host = await WatchingAsync(time);
        await host.AddBookAsync(1, "one");
        await host.AddBookAsync(2, "two");
        await host.Entities.ReadAsync<Book>([1]);
        await host.Entities.ReadAsync<Book>([2]);

        // Another node trimmed the log (or someone deleted it) before this one looked.
        await OutsideWriter.SqliteAsync(host.DatabaseFile, "UPDATE Books SET Title = 'unseen' WHERE Id = 2; DELETE FROM __qset_changes;");
        await Eventually.TrueAsync(() =>
        {
            time.Advance(TimeSpan.FromMilliseconds(25));
            return host.Events().Any(e => e.Kind == CacheEventKind.Degraded && e.Detail!.Contains("are gone", StringComparison.Ordinal));
        }, "the feed saw the hole in the log");

        Assert.Equal(0, host.Store.Count);
        Assert.Equal("unseen", (await host.Entities.ReadAsync<Book>([2])).Value!.Title);
    }

    [Fact]
    public async Task ATriggerDroppedBySomeone_IsPutBack_AndWhatWasHeldIsDropped()
    {
        await using var host = await WatchingAsync();
        await host.AddBookAsync(1, "one");
        await CachedBookAsync(host, 1);

        await OutsideWriter.SqliteAsync(host.DatabaseFile, "DROP TRIGGER __qset_Books_update; UPDATE Books SET Title = 'unlogged' WHERE Id = 1;");

        await Eventually.TrueAsync(() => host.Events().Any(e => e.Kind == CacheEventKind.Degraded && e.Detail!.Contains("removed by someone", StringComparison.Ordinal)),
            "the feed noticed the missing trigger");
        Assert.Equal("unlogged", (await host.Entities.ReadAsync<Book>([1])).Value!.Title);
        Assert.Equal("1", await OutsideWriter.SqliteAsync(host.DatabaseFile, "SELECT COUNT(*) FROM sqlite_master WHERE name = '__qset_Books_update';"));
    }

    [Fact]
    public async Task Uninstall_RemovesTheLogAndEveryTrigger_AndWritesGoOn()
    {
        using var database = new TestDatabase();
        string file;
        await using (var host = await WatchingAsync(shared: database.ConnectionString))
        {
            file = host.DatabaseFile;
            await host.AddBookAsync(1, "one");
        }

        var options = new DbContextOptionsBuilder<LibraryDb>().UseSqlite(database.ConnectionString).Options;
        await using (var db = new LibraryDb(options))
        {
            Assert.Equal(1 + (3 * 3), await db.Database.UninstallQsetChangeFeedAsync());
            Assert.Equal(0, await db.Database.UninstallQsetChangeFeedAsync());
            db.Books.Add(new Book { Id = 2, Title = "two" });
            await db.SaveChangesAsync();
        }

        Assert.Equal("0", await OutsideWriter.SqliteAsync(file, "SELECT COUNT(*) FROM sqlite_master WHERE name LIKE '\\_\\_qset\\_%' ESCAPE '\\';"));
    }

    /// <summary>A context whose constructor fails: what a host's broken registration looks like to the feed.</summary>
    public sealed class BrokenDb : DbContext
    {
        public BrokenDb(DbContextOptions<BrokenDb> options)
            : base(options) => throw new InvalidOperationException("no tenant for this scope");
    }

    [Fact]
    public async Task AContextThatCannotBeCreated_IsNotFollowed_SaysWhy_AndTheHostStillStarts()
    {
        using var database = new TestDatabase();
        var services = new ServiceCollection();
        services.AddLogging();
        services.AddDbContext<BrokenDb>((sp, o) => o.UseSqlite(database.ConnectionString).UseQsetCache(sp));
        services.AddQsetCache(new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?> { ["WatchDatabase"] = "true" }).Build());
        await using var provider = services.BuildServiceProvider();
        var watch = provider.GetRequiredService<DatabaseWatch>();

        await watch.StartAsync(CancellationToken.None);

        var feed = provider.GetRequiredService<QsetCache>().GetStats().Feed;
        Assert.Equal(DatabaseFeedState.Unsupported, feed.State);
        Assert.Contains("BrokenDb could not be created to read its model (no tenant for this scope)", feed.Reason, StringComparison.Ordinal);
        Assert.Empty(watch.Feeds);
    }

    [Fact]
    public async Task Off_InstallsNothing_AndTheStatsSaySo()
    {
        await using var host = await EngineOnlyHost.StartAsync();

        Assert.Equal(DatabaseFeedState.Off, host.Cache.GetStats().Feed.State);
        Assert.Equal("0", await OutsideWriter.SqliteAsync(host.DatabaseFile, "SELECT COUNT(*) FROM sqlite_master WHERE name LIKE '\\_\\_qset\\_%' ESCAPE '\\';"));
    }
}
