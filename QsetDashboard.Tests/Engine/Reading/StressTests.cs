using System.Collections.Concurrent;
using System.Globalization;
using Qset.Caching;
using QsetDashboard.Tests.Infrastructure;

namespace QsetDashboard.Tests.Engine.Reading;

/// <summary>
/// Readers and writers hammer a few keys for a bounded time; then the invariants are checked. Each book's title is
/// the version number of its latest committed write, so a stale read can be recognised. Reads wait a little
/// between the database read and the populate, as a network round trip would, which opens the race wide.
/// These need the race to really happen under random load, so they sit in their own category (<c>Stress</c>);
/// the deterministic proofs of the guard are <see cref="PopulateGuardTests"/>.
/// </summary>
[Trait("Category", "Stress")]
public sealed class StressTests
{
    private const int Keys = 4;

    [Fact]
    public async Task GuardOn_NoStaleReadAfterAWrite_CacheEqualsDatabase_CountersAgreeWithJournal()
    {
        await using var host = await EngineOnlyHost.StartAsync(s => s["Qset:JournalCapacity"] = "1000000");

        var outcome = await RunAsync(host, TimeSpan.FromSeconds(3));

        Assert.Empty(outcome.Errors);
        Assert.True(outcome.Writes > 20, $"the writers made too few writes ({outcome.Writes}) to prove anything");
        Assert.True(outcome.Gets > 200, $"the readers made too few reads ({outcome.Gets}) to prove anything");
        Assert.Empty(outcome.StaleReads);
        Assert.Empty(outcome.StaleEntries);
        var stats = host.Cache.GetStats();
        Assert.Equal(outcome.Gets, stats.Hits + stats.Misses);
        var journal = host.Events();
        Assert.Equal(stats.Hits, journal.Count(e => e.Kind == CacheEventKind.Hit));
        Assert.Equal(stats.Misses, journal.Count(e => e.Kind == CacheEventKind.Miss));
        Assert.Equal(stats.Populates, journal.Count(e => e.Kind == CacheEventKind.Populate));
        Assert.True(stats.Rejects > 0, "the race happened and the guard refused at least one populate");
    }

    [Fact]
    public async Task GuardOff_TheSameWorkloadBreaksTheInvariants()
    {
        await using var host = await EngineOnlyHost.StartAsync(s =>
        {
            s["Qset:JournalCapacity"] = "1000000";
            s["Qset:GuardPopulate"] = "false";
        });

        var outcome = await RunAsync(host, TimeSpan.FromSeconds(3));

        Assert.Empty(outcome.Errors);
        Assert.True(
            outcome.StaleReads.Count + outcome.StaleEntries.Count > 0,
            "without the guard, stale values should be served or left cached; if not, the stress test cannot fail");
    }

    private sealed record Outcome(long Gets, long Writes, IReadOnlyList<string> StaleReads, IReadOnlyList<string> StaleEntries, IReadOnlyList<Exception> Errors);

    private static async Task<Outcome> RunAsync(EngineOnlyHost host, TimeSpan duration, int readers = 6, int writers = 2)
    {
        var committed = new long[Keys + 1];
        var writeLocks = Enumerable.Range(0, Keys + 1).Select(_ => new SemaphoreSlim(1, 1)).ToArray();
        for (var id = 1; id <= Keys; id++)
        {
            await host.AddBookAsync(id, "0");
        }

        var staleReads = new ConcurrentQueue<string>();
        var errors = new ConcurrentQueue<Exception>();
        long gets = 0, writes = 0;
        using var stop = new CancellationTokenSource(duration);

        async Task ReaderAsync(int seed)
        {
            var random = new Random(seed);
            while (!stop.IsCancellationRequested)
            {
                var id = random.Next(1, Keys + 1);
                var floor = Volatile.Read(ref committed[id]);
                try
                {
                    var read = await host.GetBookAsync(host.Entities.KeyOf<Book>(id), id, static (_, ct) => Task.Delay(Random.Shared.Next(0, 3), ct));
                    Interlocked.Increment(ref gets);
                    var version = long.Parse(read.Value!.Title, CultureInfo.InvariantCulture);
                    if (version < floor)
                    {
                        staleReads.Enqueue($"Book.{id}: read v{version} after v{floor} was committed (hit={read.Hit})");
                    }
                }
#pragma warning disable CA1031 // Every failure is collected and asserted on.
                catch (Exception ex)
#pragma warning restore CA1031
                {
                    errors.Enqueue(ex);
                }

                // Paced, so that every event of the run fits in the journal and can be counted.
                await Task.Delay(1);
            }
        }

        async Task WriterAsync(int seed)
        {
            var random = new Random(seed);
            while (!stop.IsCancellationRequested)
            {
                var id = random.Next(1, Keys + 1);
                await writeLocks[id].WaitAsync();
                try
                {
                    var next = Volatile.Read(ref committed[id]) + 1;
                    await host.SaveBookAsync(id, next.ToString(CultureInfo.InvariantCulture));
                    Volatile.Write(ref committed[id], next);
                    Interlocked.Increment(ref writes);
                }
#pragma warning disable CA1031 // Every failure is collected and asserted on.
                catch (Exception ex)
#pragma warning restore CA1031
                {
                    errors.Enqueue(ex);
                }
                finally
                {
                    writeLocks[id].Release();
                }

                await Task.Delay(random.Next(0, 3));
            }
        }

        await Task.WhenAll([
            .. Enumerable.Range(0, readers).Select(i => Task.Run(() => ReaderAsync(i))),
            .. Enumerable.Range(0, writers).Select(i => Task.Run(() => WriterAsync(1_000 + i))),
        ]);

        List<string> staleEntries = [];
        foreach (var entry in await host.Cache.Store.ListAsync())
        {
            var cached = (Book)entry.Value;
            await using var db = host.NewContext();
            var row = await db.Books.FindAsync(cached.Id);
            if (row?.Title != cached.Title)
            {
                staleEntries.Add($"{entry.Key}: cache holds v{cached.Title}, database holds v{row?.Title}");
            }
        }

        return new Outcome(gets, writes, [.. staleReads], staleEntries, [.. errors]);
    }
}
