using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Time.Testing;
using Qset.Caching;
using Qset.Caching.Ledger;

namespace QsetDashboard.Tests.Engine.Ledger;

public sealed class SavingsLedgerTests : IDisposable
{
    private readonly FakeTimeProvider _time = new(new DateTimeOffset(2026, 11, 24, 0, 0, 0, TimeSpan.Zero));
    private readonly EventJournal _journal = new(1_000, NullLogger<EventJournal>.Instance);
    private readonly SavingsLedger _ledger;
    private long _sequence;

    public SavingsLedgerTests() => _ledger = new SavingsLedger(_journal, _time);

    public void Dispose()
    {
        _ledger.Dispose();
        _journal.Dispose();
    }

    private CacheEvent E(CacheEventKind kind, string key, string? type, double ms = 0, long count = 1) =>
        new(++_sequence, _time.GetUtcNow(), kind, key, type, "test", TimeSpan.FromMilliseconds(ms), null, count);

    [Fact]
    public void EntityRow_AddsUpHitsMissesReadTimeAndChurn()
    {
        _ledger.Apply(
        [
            E(CacheEventKind.Miss, "User.1", "User"), E(CacheEventKind.Populate, "User.1", "User", 10),
            E(CacheEventKind.Hit, "User.1", "User"), E(CacheEventKind.Hit, "User.1", "User"), E(CacheEventKind.Hit, "User.1", "User"),
            E(CacheEventKind.Invalidate, "User.1", "User"),
            E(CacheEventKind.Miss, "User.2", "User"), E(CacheEventKind.Populate, "User.2", "User", 30),
            E(CacheEventKind.Hit, "User.2", "User"),
        ]);

        var user = Assert.Single(_ledger.Snapshot().Entities);

        Assert.Equal(("entity", "User", 4L, 2L, 2L, 1L), (user.Kind, user.Name, user.Hits, user.Misses, user.Populates, user.Invalidations));
        Assert.Equal(4.0 / 6, user.HitRatio, 10);
        Assert.Equal(20, user.AverageDbReadMs, 10);
        Assert.Equal(80, user.DbTimeSavedMs, 10);
        Assert.Equal(0.5, user.ChurnPerPopulate, 10);
        Assert.False(user.Flagged);
    }

    [Fact]
    public void AnInvalidationThatStandsForMany_CountsWhatItRemovedOfItsType_AndAFlushOrAnL1ClearIsNoTablesChurn()
    {
        // More than 100 invalidations at once (a bulk write, a flush, an L1 clear) are one event with key "*".
        _ledger.Apply(
        [
            E(CacheEventKind.Populate, "User.1", "User"), E(CacheEventKind.Populate, "Team.1", "Team"),
            E(CacheEventKind.Invalidate, "*", "User", count: 250),
        ]);

        Assert.Equal([("Team", 0L), ("User", 250L)], _ledger.Snapshot().Entities.Select(r => (r.Name, r.Invalidations)));

        // A flush or an L1 clear is not a write to a table, whether one event counts them or each key has its own.
        _ledger.Apply(
        [
            E(CacheEventKind.Invalidate, "*", null, count: 3_000), E(CacheEventKind.Invalidate, "*", "Query", count: 300),
            E(CacheEventKind.Invalidate, "User.1", "User") with { Detail = CacheRecorder.FlushDetail },
            E(CacheEventKind.Invalidate, "User.2", "User") with { Detail = CacheRecorder.L1ClearDetail + "Redis reconnected" },
        ]);

        var snapshot = _ledger.Snapshot();
        Assert.Equal([("Team", 0L), ("User", 250L)], snapshot.Entities.Select(r => (r.Name, r.Invalidations)));
        Assert.Empty(snapshot.Queries);
    }

    [Fact]
    public void ATableInvalidatedAsOftenAsItIsHit_IsFlagged_WithTheNumbers()
    {
        for (var i = 0; i < SavingsLedger.MinInvalidationsToFlag; i++)
        {
            _ledger.Apply([E(CacheEventKind.Miss, "Team.1", "Team"), E(CacheEventKind.Populate, "Team.1", "Team", 2), E(CacheEventKind.Invalidate, "Team.1", "Team")]);
        }

        _ledger.Apply([E(CacheEventKind.Hit, "Team.1", "Team")]);

        var team = Assert.Single(_ledger.Snapshot().Entities);
        Assert.True(team.Flagged);
        Assert.Equal("5 invalidations ≥ 1 hits", team.FlagReason);
        Assert.Equal(1.0, team.ChurnPerPopulate, 10);
    }

    [Fact]
    public void FewInvalidations_AreNotFlagged_EvenWithoutHits()
    {
        _ledger.Apply([E(CacheEventKind.Miss, "Team.1", "Team"), E(CacheEventKind.Populate, "Team.1", "Team", 2), E(CacheEventKind.Invalidate, "Team.1", "Team")]);

        Assert.False(Assert.Single(_ledger.Snapshot().Entities).Flagged);
    }

    [Fact]
    public void QueryRows_AreKeptPerKey_AndCountTowardTheirTablesVerdict()
    {
        const string key = "Query.User.0123456789abcdef01234567";
        _ledger.Apply([E(CacheEventKind.Miss, key, "Query"), E(CacheEventKind.Populate, key, "Query", 4), E(CacheEventKind.Hit, key, "Query"), E(CacheEventKind.Hit, key, "Query")]);
        _ledger.Apply([.. Enumerable.Range(0, 5).SelectMany(_ => new[] { E(CacheEventKind.Populate, "User.1", "User", 1), E(CacheEventKind.Invalidate, "User.1", "User") })]);

        var snapshot = _ledger.Snapshot();

        var query = Assert.Single(snapshot.Queries);
        Assert.Equal((key, 2L, 8.0), (query.Name, query.Hits, query.DbTimeSavedMs));
        Assert.Equal(["User"], query.Tables);
        var user = Assert.Single(snapshot.Entities);
        Assert.True(user.Flagged);
        Assert.Equal("5 invalidations ≥ 2 hits", user.FlagReason);
        Assert.Equal(8.0, snapshot.TotalDbTimeSavedMs, 10);
    }

    [Fact]
    public void InvalidatingAKeyThatHeldNothing_IsNotChurn()
    {
        // The store says how many values an invalidation removed: none for a key never cached, evicted or expired.
        _ledger.Apply(
        [
            E(CacheEventKind.Invalidate, "User.1", "User", count: 0),
            E(CacheEventKind.Populate, "User.3", "User", 1), E(CacheEventKind.Invalidate, "User.3", "User"), E(CacheEventKind.Invalidate, "User.3", "User", count: 0),
        ]);

        Assert.Equal(1, Assert.Single(_ledger.Snapshot().Entities).Invalidations);
    }

    [Fact]
    public void AnEventSeenTwice_IsCountedOnce()
    {
        var hit = E(CacheEventKind.Hit, "User.1", "User");

        _ledger.Apply([hit]);
        _ledger.Apply([hit]);

        Assert.Equal(1, Assert.Single(_ledger.Snapshot().Entities).Hits);
    }

    [Fact]
    public void InvalidationsPerMinute_UseAtLeastAOneMinuteWindow()
    {
        _ledger.Apply(
        [
            E(CacheEventKind.Populate, "User.1", "User", 1), E(CacheEventKind.Invalidate, "User.1", "User"),
            E(CacheEventKind.Populate, "User.1", "User", 1), E(CacheEventKind.Invalidate, "User.1", "User"),
        ]);
        Assert.Equal(2, Assert.Single(_ledger.Snapshot().Entities).InvalidationsPerMinute, 10);

        _time.Advance(TimeSpan.FromMinutes(4));

        Assert.Equal(0.5, Assert.Single(_ledger.Snapshot().Entities).InvalidationsPerMinute, 10);
    }

    [Fact]
    public async Task FedFromTheRealEngine_OnlyAWriteThatThrewACachedValueAwayIsChurn()
    {
        // The ledger kept a set of every key held (one entry a cached key, and without Redis keyspace notifications
        // never told of an expiry, so it grew without end); the store's own answer replaces it.
        await using var host = await EngineOnlyHost.StartAsync();
        async Task RetitleAsync(string title)
        {
            await using var db = host.NewContext();
            (await db.Books.SingleAsync(b => b.Id == 1)).Title = title;
            await db.SaveChangesAsync();
        }

        await host.AddBookAsync(1, "a");
        await host.Entities.FindAsync<Book>(1);
        await RetitleAsync("b");
        await RetitleAsync("c");
        await host.AddBookAsync(2, "d");

        Assert.Equal([("LibraryDb:Book.1", 0L), ("LibraryDb:Book.1", 1L), ("LibraryDb:Book.1", 0L), ("LibraryDb:Book.2", 0L)],
            host.Events().Where(e => e.Kind == CacheEventKind.Invalidate).Select(e => (e.Key, e.Count)));
        Assert.Equal(1, Assert.Single(host.Get<SavingsLedger>().Snapshot().Entities).Invalidations);
    }

    [Fact]
    public async Task FedFromTheRealEngine_ShowsByIdAndQueryRows()
    {
        await using var host = await EngineOnlyHost.StartAsync();
        await host.AddBookAsync(1, "Dune");
        await host.Entities.FindAsync<Book>(1);
        await host.Entities.FindAsync<Book>(1);
        await using (var db = host.NewContext())
        {
            await db.Books.Cacheable().ToListAsync();
            await db.Books.Cacheable().ToListAsync();
        }

        var snapshot = host.Get<SavingsLedger>().Snapshot();

        var book = Assert.Single(snapshot.Entities);
        Assert.Equal(("LibraryDb:Book", 1L, 1L, 1L), (book.Name, book.Hits, book.Misses, book.Populates));
        Assert.True(book.AverageDbReadMs > 0);
        var query = Assert.Single(snapshot.Queries);
        Assert.Equal(1, query.Hits);
        Assert.StartsWith("Query.LibraryDb:Book.", query.Name, StringComparison.Ordinal);
    }
}
