using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using Microsoft.Data.Sqlite;
using QsetDashboard.Tests.Infrastructure;

namespace QsetDashboard.Tests.Engine.Feed;

/// <summary>
/// The database as the backplane, under load: two memory nodes on one SQLite file, no Redis, writers on both and one
/// outside them (a connection of its own, plain SQL). Every row's title is its version, which only grows. No read
/// that begins more than a second after a write was acknowledged may return a version older than that write's.
/// </summary>
[Trait("Category", "Stress")]
public sealed class FeedTruthTests
{
    private const int Rows = 40;
    private static readonly TimeSpan Bound = TimeSpan.FromSeconds(1);
    private static readonly TimeSpan RunFor = TimeSpan.FromSeconds(4);

    private sealed record Ack(int Version, long At);

    [Fact]
    public async Task TwoMemoryNodesAndAnOutsideWriter_NoReadIsOlderThanAWriteAcknowledgedASecondBeforeIt()
    {
        await using var a = await EngineOnlyHost.StartAsync(s => s["Qset:WatchDatabase"] = "true");

        // As the sample runs its file: WAL, so that readers never hold up a writer.
        await OutsideWriter.SqliteAsync(a.DatabaseFile, "PRAGMA journal_mode=WAL;");
        await using var b = await EngineOnlyHost.StartAsync(s => s["Qset:WatchDatabase"] = "true", sharedConnectionString: a.ConnectionString);
        for (var id = 1; id <= Rows; id++)
        {
            await a.AddBookAsync(id, "0");
        }

        var versions = new int[Rows + 1];
        var locks = Enumerable.Range(0, Rows + 1).Select(_ => new SemaphoreSlim(1, 1)).ToArray();
        var acks = new ConcurrentDictionary<int, ConcurrentQueue<Ack>>();
        var reads = new ConcurrentQueue<(int Id, long Began, int Version, string Node)>();
        using var stop = new CancellationTokenSource(RunFor);

        async Task WriteAsync(Func<int, int, Task> write, int seed)
        {
            var random = new Random(seed);
            while (!stop.IsCancellationRequested)
            {
                var id = random.Next(1, Rows + 1);
                await locks[id].WaitAsync();
                try
                {
                    var version = versions[id] + 1;
                    await write(id, version);
                    versions[id] = version;
                    acks.GetOrAdd(id, _ => new()).Enqueue(new Ack(version, Stopwatch.GetTimestamp()));
                }
                finally
                {
                    locks[id].Release();
                }

                await Task.Delay(random.Next(1, 5));
            }
        }

        Func<int, int, Task> Through(EngineOnlyHost node) => async (id, version) =>
        {
            await using var db = node.NewContext();
            (await db.Books.FindAsync(id))!.Title = version.ToString(CultureInfo.InvariantCulture);
            await db.SaveChangesAsync();
        };

        async Task Outside(int id, int version)
        {
            await using var connection = new SqliteConnection(a.ConnectionString);
            await connection.OpenAsync();
            await using var command = connection.CreateCommand();
            command.CommandText = "UPDATE Books SET Title = $v WHERE Id = $id";
            command.Parameters.AddWithValue("$v", version.ToString(CultureInfo.InvariantCulture));
            command.Parameters.AddWithValue("$id", id);
            await command.ExecuteNonQueryAsync();
        }

        async Task ReadAsync(EngineOnlyHost node, string name, int seed)
        {
            var random = new Random(seed);
            while (!stop.IsCancellationRequested)
            {
                var id = random.Next(1, Rows + 1);
                var began = Stopwatch.GetTimestamp();
                var book = (await node.Entities.ReadAsync<Book>([id])).Value!;
                reads.Enqueue((id, began, int.Parse(book.Title, CultureInfo.InvariantCulture), name));

                // A hit completes synchronously: without a pause, three readers would hold both cores from the writers.
                await Task.Delay(1);
            }
        }

        await Task.WhenAll(
            Task.Run(() => WriteAsync(Through(a), 1)),
            Task.Run(() => WriteAsync(Through(b), 2)),
            Task.Run(() => WriteAsync(Outside, 3)),
            Task.Run(() => ReadAsync(a, "A", 4)),
            Task.Run(() => ReadAsync(b, "B", 5)),
            Task.Run(() => ReadAsync(b, "B", 6)));

        var bound = (long)(Bound.TotalSeconds * Stopwatch.Frequency);
        var stale = reads
            .Select(r => (Read: r, Owed: acks.TryGetValue(r.Id, out var q) ? q.Where(k => k.At <= r.Began - bound).Select(k => k.Version).DefaultIfEmpty(0).Max() : 0))
            .Where(x => x.Read.Version < x.Owed)
            .ToList();
        Assert.True(reads.Count > 500, $"only {reads.Count} reads ran");
        Assert.True(acks.Values.Sum(q => q.Count) > 100, $"the writers wrote ({acks.Values.Sum(q => q.Count)} writes, {reads.Count} reads)");
        Assert.True(a.Cache.GetStats().Hits + b.Cache.GetStats().Hits > 100, "reads were served from the caches too");
        Assert.True(stale.Count == 0,
            $"{stale.Count} of {reads.Count} reads returned a row older than a write acknowledged over {Bound.TotalSeconds} s before they began, e.g. " +
            string.Join("; ", stale.Take(3).Select(s => $"node {s.Read.Node} book {s.Read.Id}: v{s.Read.Version}, owed v{s.Owed}")));
    }
}
