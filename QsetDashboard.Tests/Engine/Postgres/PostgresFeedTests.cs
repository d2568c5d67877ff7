using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;
using Qset.Caching;
using Qset.Caching.Feed;
using QsetDashboard.Tests.Infrastructure;

namespace QsetDashboard.Tests.Engine.Postgres;

/// <summary>
/// The PostgreSQL change feed: logical replication through a temporary pgoutput slot of the node's own. Writes by
/// another process (<c>psql</c>) invalidate what they change; the node's own writes are recognized; a broken stream is
/// loud; no slot outlives its node.
/// </summary>
[Collection(PostgresCollection.Name)]
public sealed class PostgresFeedTests(PostgresServer server)
{
    private async Task<EngineOnlyHost> WatchingAsync(string? database = null) =>
        await EngineOnlyHost.StartAsync(s => s["Qset:WatchDatabase"] = "true", postgres: database ?? await server.CreateDatabaseAsync());

    private static IChangeFeed FeedOf(EngineOnlyHost host) => Assert.Single(host.Get<DatabaseWatch>().Feeds);

    private static async Task CachedBookAsync(EngineOnlyHost host, int id)
    {
        await host.Entities.ReadAsync<Book>([id]);
        Assert.True((await host.Entities.ReadAsync<Book>([id])).Hit, $"book {id} is cached before the write");
    }

    private static Task UntilNotHeldAsync(EngineOnlyHost host, string key) =>
        Eventually.TrueAsync(async () => await host.Browser.PeekAsync(key) is null, $"the feed invalidated {key}");

    private async Task<long> SlotsAsync(string database)
    {
        var name = new NpgsqlConnectionStringBuilder(database).Database;
        return long.Parse(await OutsideWriter.PostgresAsync(server.AdminConnectionString, $"SELECT count(*) FROM pg_replication_slots WHERE database = '{name}'"),
            System.Globalization.CultureInfo.InvariantCulture);
    }

    [Fact]
    public async Task AnUpdateByPsql_InvalidatesTheRowsKey_WithTheCommitLsn()
    {
        await using var host = await WatchingAsync();
        Assert.Equal(DatabaseFeedState.Live, host.Cache.GetStats().Feed.State);
        await host.AddBookAsync(1, "Alice");
        await CachedBookAsync(host, 1);

        await OutsideWriter.PostgresAsync(host.ConnectionString, """UPDATE "Books" SET "Title" = 'Mallory' WHERE "Id" = 1""");
        await UntilNotHeldAsync(host, "LibraryDb:Book.1");

        var read = await host.Entities.ReadAsync<Book>([1]);
        Assert.False(read.Hit);
        Assert.Equal("Mallory", read.Value!.Title);
        var invalidate = Assert.Single(host.Events(), e => e.Kind == CacheEventKind.Invalidate && e.Source == "database");
        Assert.Contains("Books row 1 changed (LSN ", invalidate.Detail, StringComparison.Ordinal);
    }

    [Fact]
    public async Task DeletesTruncatesAndGuidAndCompositeKeys_AreSeen()
    {
        await using var host = await WatchingAsync();
        var shelf = Guid.NewGuid();
        await using (var db = host.NewContext())
        {
            db.Shelves.Add(new Shelf { Id = shelf, Name = "top" });
            db.Loans.Add(new Loan { BookId = 3, Reader = "Doe, Jane", Note = "due" });
            db.Books.Add(new Book { Id = 7, Title = "doomed" });
            await db.SaveChangesAsync();
        }

        await host.Entities.ReadAsync<Shelf>([shelf]);
        await host.Entities.ReadAsync<Loan>([3, "Doe, Jane"]);
        await CachedBookAsync(host, 7);

        await OutsideWriter.PostgresAsync(host.ConnectionString,
            """UPDATE "Shelves" SET "Name" = 'bottom'; DELETE FROM "Loans"; TRUNCATE "Books";""");

        await UntilNotHeldAsync(host, CacheKeys.For("LibraryDb:Shelf", shelf));
        await UntilNotHeldAsync(host, CacheKeys.For("LibraryDb:Loan", [3, "Doe, Jane"]));
        await UntilNotHeldAsync(host, "LibraryDb:Book.7");
        Assert.Equal("bottom", (await host.Entities.ReadAsync<Shelf>([shelf])).Value!.Name);
        Assert.Null((await host.Entities.ReadAsync<Loan>([3, "Doe, Jane"])).Value);
    }

    [Fact]
    public async Task AnInAppWrite_SeenAgainOnTheFeed_IsRecognized()
    {
        await using var host = await WatchingAsync();
        await host.AddBookAsync(1, "before");
        await Eventually.TrueAsync(() => host.Cache.GetStats().Feed.Changes == 1, "the feed read the insert");
        await CachedBookAsync(host, 1);
        var before = host.Events()[^1].Sequence;
        var changes = host.Cache.GetStats().Feed.Changes;
        await using (var db = host.NewContext())
        {
            (await db.Books.FindAsync(1))!.Title = "after";
            await db.SaveChangesAsync();
        }

        Assert.Equal("after", (await host.Entities.ReadAsync<Book>([1])).Value!.Title);
        await Eventually.TrueAsync(() => host.Cache.GetStats().Feed.Changes > changes, "the feed read the in-app write");

        Assert.True((await host.Entities.ReadAsync<Book>([1])).Hit, "the value read after the write stays cached");
        var invalidate = Assert.Single(host.Events(), e => e.Sequence > before && e.Kind == CacheEventKind.Invalidate && e.Key == "LibraryDb:Book.1");
        Assert.Equal("ef", invalidate.Source);
    }

    [Fact]
    public async Task TheSlotIsTemporary_AndGoesWithItsNode()
    {
        var database = await server.CreateDatabaseAsync();
        await using (var host = await WatchingAsync(database))
        {
            var name = new NpgsqlConnectionStringBuilder(database).Database;
            Assert.Equal("t", await OutsideWriter.PostgresAsync(server.AdminConnectionString,
                $"SELECT temporary FROM pg_replication_slots WHERE database = '{name}'"));
        }

        await Eventually.TrueAsync(async () => await SlotsAsync(database) == 0, "the node's slot went with it");
    }

    [Fact]
    public async Task ATerminatedStream_IsLoud_TheNodeDropsWhatItHolds_AndFollowsANewSlot()
    {
        await using var host = await WatchingAsync();
        await host.AddBookAsync(1, "one");
        await CachedBookAsync(host, 1);
        var name = new NpgsqlConnectionStringBuilder(host.ConnectionString).Database;

        await OutsideWriter.PostgresAsync(server.AdminConnectionString,
            $"SELECT pg_terminate_backend(active_pid) FROM pg_replication_slots WHERE database = '{name}'");

        await Eventually.TrueAsync(() => host.Events().Any(e => e.Kind == CacheEventKind.Degraded && e.Detail!.Contains("changes in between were not seen", StringComparison.Ordinal)),
            "the node knew the stream was down and dropped what it held");
        await Eventually.TrueAsync(() => host.Cache.GetStats().Feed.State == DatabaseFeedState.Live, "the node follows a new slot");
        Assert.Equal(0, host.Store.Count);

        await CachedBookAsync(host, 1);
        await OutsideWriter.PostgresAsync(host.ConnectionString, """UPDATE "Books" SET "Title" = 'seen' WHERE "Id" = 1""");
        await UntilNotHeldAsync(host, "LibraryDb:Book.1");
    }

    [Fact]
    public async Task ARoleWithoutReplication_IsBlind_SaysWhichGrantIsMissing_AndReadsStillWork()
    {
        var role = "norepl" + Guid.NewGuid().ToString("N")[..8];
        var name = "t" + Guid.NewGuid().ToString("N");
        await OutsideWriter.PostgresAsync(server.AdminConnectionString, $"CREATE ROLE {role} LOGIN NOREPLICATION");
        await OutsideWriter.PostgresAsync(server.AdminConnectionString, $"CREATE DATABASE {name} OWNER {role}");
        var database = new NpgsqlConnectionStringBuilder(server.ConnectionStringFor(name)) { Username = role }.ToString();

        await using var host = await WatchingAsync(database);

        var feed = host.Cache.GetStats().Feed;
        Assert.Equal(DatabaseFeedState.Blind, feed.State);
        Assert.Contains($"ALTER ROLE \"{role}\" REPLICATION", feed.Reason, StringComparison.Ordinal);
        var health = await new QsetHealthCheck(host.Get<StoreSelection>(), host.Get<FeedBoard>()).CheckHealthAsync(new Microsoft.Extensions.Diagnostics.HealthChecks.HealthCheckContext());
        Assert.Equal(Microsoft.Extensions.Diagnostics.HealthChecks.HealthStatus.Degraded, health.Status);
        await host.AddBookAsync(1, "one");
        Assert.Equal("one", (await host.Entities.ReadAsync<Book>([1])).Value!.Title);
        Assert.False((await host.Entities.ReadAsync<Book>([1])).Hit, "a blind node serves nothing from the cache");
    }

    [Fact]
    public async Task APublicationThatExistsWithOtherTables_GetsTheCachedOnesAdded_AndTheOthersAreLeftAlone()
    {
        var database = await server.CreateDatabaseAsync();
        await using (await EngineOnlyHost.StartAsync(postgres: database))
        {
            // The app's tables first (EnsureCreated makes none in a database that has any), then a publication of someone else's.
        }

        await OutsideWriter.PostgresAsync(database, """CREATE TABLE "Audit" ("Id" int PRIMARY KEY, "What" text); CREATE PUBLICATION qset_feed FOR TABLE "Audit";""");

        await using var host = await WatchingAsync(database);

        Assert.Equal(DatabaseFeedState.Live, host.Cache.GetStats().Feed.State);
        var published = await OutsideWriter.PostgresAsync(database, "SELECT string_agg(tablename, ',' ORDER BY tablename) FROM pg_publication_tables WHERE pubname = 'qset_feed'");
        Assert.Equal("Audit,Books,Loans,Shelves", published);

        await host.AddBookAsync(1, "one");
        await CachedBookAsync(host, 1);
        await OutsideWriter.PostgresAsync(database, """INSERT INTO "Audit" VALUES (1, 'not cached here'); UPDATE "Books" SET "Title" = 'two' WHERE "Id" = 1;""");
        await UntilNotHeldAsync(host, "LibraryDb:Book.1");
        Assert.DoesNotContain(host.Events(), e => e.Source == "database" && e.Detail!.Contains("Audit", StringComparison.Ordinal));
    }

    /// <summary>Two cached tables of one name, in two schemas.</summary>
    public sealed class TwoSchemasDb(DbContextOptions<TwoSchemasDb> options) : DbContext(options)
    {
        public DbSet<ShopItem> ShopItems => Set<ShopItem>();

        public DbSet<AuditItem> AuditItems => Set<AuditItem>();

        protected override void OnModelCreating(ModelBuilder modelBuilder)
        {
            modelBuilder.Entity<ShopItem>().ToTable("Items", "shop");
            modelBuilder.Entity<AuditItem>().ToTable("Items", "audit");
        }
    }

    public sealed class ShopItem
    {
        public int Id { get; set; }

        public string Name { get; set; } = "";
    }

    public sealed class AuditItem
    {
        public int Id { get; set; }

        public string Name { get; set; } = "";
    }

    /// <summary>An engine over <see cref="TwoSchemasDb"/> on a fresh database, a row of each table written.</summary>
    private async Task<(ServiceProvider Provider, string Database)> TwoSchemasAsync(bool watch)
    {
        var database = await server.CreateDatabaseAsync();
        var services = new ServiceCollection();
        services.AddLogging();
        services.AddDbContextFactory<TwoSchemasDb>((sp, o) => o.UseNpgsql(database).UseQsetCache(sp));
        services.AddQsetCache(new ConfigurationBuilder()
            .AddInMemoryCollection(new Dictionary<string, string?> { ["WatchDatabase"] = watch ? "true" : "false" }).Build());
        var provider = services.BuildServiceProvider();
        await using (var db = await provider.GetRequiredService<IDbContextFactory<TwoSchemasDb>>().CreateDbContextAsync())
        {
            await db.Database.EnsureCreatedAsync();
            db.ShopItems.Add(new ShopItem { Id = 1, Name = "shop" });
            db.AuditItems.Add(new AuditItem { Id = 1, Name = "audit" });
            await db.SaveChangesAsync();
        }

        return (provider, database);
    }

    [Fact]
    public async Task TablesOfOneNameInTwoSchemas_AreFollowedApart_AChangeToOneLeavesTheOther()
    {
        var (provider, database) = await TwoSchemasAsync(watch: true);
        await using var _ = provider;
        var watch = provider.GetRequiredService<DatabaseWatch>();
        await watch.StartAsync(CancellationToken.None);
        try
        {
            Assert.Equal(DatabaseFeedState.Live, provider.GetRequiredService<QsetCache>().GetStats().Feed.State);
            var entities = provider.GetRequiredService<EntityCache<TwoSchemasDb>>();
            await entities.ReadAsync<ShopItem>([1]);
            await entities.ReadAsync<AuditItem>([1]);

            await OutsideWriter.PostgresAsync(database, """UPDATE audit."Items" SET "Name" = 'changed' WHERE "Id" = 1""");

            await Eventually.TrueAsync(async () => await provider.GetRequiredService<ICacheBrowser>().PeekAsync("TwoSchemasDb:AuditItem.1") is null, "the feed invalidated audit.Items row 1");
            Assert.True((await entities.ReadAsync<ShopItem>([1])).Hit, "shop.Items row 1 was not touched");
            var invalidate = Assert.Single(provider.GetRequiredService<EventJournal>().ReadAfter(0), e => e.Kind == CacheEventKind.Invalidate && e.Source == "database");
            Assert.Contains("audit.Items row 1 changed", invalidate.Detail, StringComparison.Ordinal);
        }
        finally
        {
            await watch.DisposeAsync();
        }
    }

    [Fact]
    public async Task RawSqlToASchemaQualifiedTable_InvalidatesThatSchemasTable_NotTheOneOfTheSameNameInAnother()
    {
        var (provider, _) = await TwoSchemasAsync(watch: false);
        await using var __ = provider;
        var entities = provider.GetRequiredService<EntityCache<TwoSchemasDb>>();
        await entities.ReadAsync<ShopItem>([1]);
        await entities.ReadAsync<AuditItem>([1]);

        await using (var db = await provider.GetRequiredService<IDbContextFactory<TwoSchemasDb>>().CreateDbContextAsync())
        {
            await db.Database.ExecuteSqlRawAsync("""UPDATE audit."Items" SET "Name" = 'changed' WHERE "Id" = 1""");
        }

        Assert.False((await entities.ReadAsync<AuditItem>([1])).Hit, "audit.Items was written");
        Assert.True((await entities.ReadAsync<ShopItem>([1])).Hit, "shop.Items has the same name, in another schema: untouched");
    }
}
