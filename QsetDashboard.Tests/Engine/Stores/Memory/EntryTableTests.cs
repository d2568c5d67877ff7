using Qset.Caching;

namespace QsetDashboard.Tests.Engine.Stores.Memory;

/// <summary>The memory store's index of live entries: what a dictionary would hold, lock-free reads that never miss a held key.</summary>
public sealed class EntryTableTests
{
    private static readonly DateTimeOffset At = new(2026, 11, 26, 12, 0, 0, TimeSpan.Zero);

    [Theory]
    [InlineData(1, 0.6)]
    [InlineData(2, 0.5)]
    [InlineData(3, 0.4)]
    public void RandomWrites_HoldWhatADictionaryHolds_WithinTheLoadBound(int seed, double setShare)
    {
        var writeLock = new Lock();
        var table = new EntryTable(writeLock);
        var expected = new Dictionary<string, CacheEntry>(StringComparer.Ordinal);
        var random = new Random(seed);

        for (var i = 0; i < 30_000; i++)
        {
            var key = $"User.{random.Next(3_000)}";
            lock (writeLock)
            {
                var roll = random.NextDouble();
                if (roll < setShare)
                {
                    var entry = Entry(key);
                    Assert.Same(expected.GetValueOrDefault(key), table.Set(entry));
                    expected[key] = entry;
                }
                else if (roll < setShare + ((1 - setShare) / 2))
                {
                    Assert.Equal(expected.Remove(key, out var gone), table.TryRemove(key, out var removed));
                    Assert.Same(gone, removed);
                }
                else
                {
                    // Removing by entry removes only the entry held, not an older one under the same key.
                    var stale = Entry(key);
                    Assert.False(table.TryRemove(stale));
                    if (expected.Remove(key, out var held))
                    {
                        Assert.True(table.TryRemove(held));
                    }
                }
            }

            if (i % 1_009 == 0)
            {
                AssertSame(expected, table);
            }
        }

        AssertSame(expected, table);
        lock (writeLock)
        {
            Assert.Equal(expected.Values.OrderBy(e => e.Key, StringComparer.Ordinal), table.Clear().Entries.OrderBy(e => e.Key, StringComparer.Ordinal));
        }

        Assert.Equal(0, table.Count);
        Assert.False(table.TryGetValue("User.1", out _));
    }

    [Fact]
    public void Growing_ThenEmptying_ThenFillingAgain_KeepsTheTableSmall()
    {
        var writeLock = new Lock();
        var table = new EntryTable(writeLock);
        lock (writeLock)
        {
            for (var i = 0; i < 10_000; i++)
            {
                table.Set(Entry($"k{i}"));
            }

            Assert.InRange(table.Length, 10_000 * 4 / 3, 10_000 * 4);
            for (var i = 0; i < 10_000; i++)
            {
                Assert.True(table.TryRemove($"k{i}", out _));
            }

            // Markers are cleared by the rebuild that the next writes trigger: the table shrinks to what it holds.
            for (var i = 0; i < 100; i++)
            {
                table.Set(Entry($"n{i}"));
            }

            for (var round = 0; round < 200; round++)
            {
                table.TryRemove($"n{round % 100}", out _);
                table.Set(Entry($"n{round % 100}"));
            }
        }

        Assert.Equal(100, table.Count);
        Assert.InRange(table.Length, 16, 1_024);
    }

    [Fact]
    public void AFullTableUnderChurn_IsRarelyRebuilt()
    {
        // A full cache evicts one entry per new one: the markers evictions leave are mostly reused by the next inserts,
        // so a rebuild (O(n) under the write lock) comes about once per n churns, not more.
        const int Size = 20_000;
        var writeLock = new Lock();
        var table = new EntryTable(writeLock);
        var held = Enumerable.Range(0, Size).Select(i => Entry($"User.{i}")).ToArray();
        var random = new Random(5);
        lock (writeLock)
        {
            foreach (var entry in held)
            {
                table.Set(entry);
            }

            var afterFill = table.Rebuilds;
            for (var i = 0; i < Size; i++)
            {
                var victim = random.Next(Size);
                Assert.True(table.TryRemove(held[victim]));
                held[victim] = Entry($"Team.{i}");
                table.Set(held[victim]);
            }

            Assert.InRange(table.Rebuilds - afterFill, 0, 2);
        }

        Assert.Equal(Size, table.Count);
    }

    [Fact]
    public void AWalk_MeetsAKeyStoredAgainDuringIt_Twice_AndTheStoreListsItOnce()
    {
        // Two keys whose probes start at the last slot of a new (16-slot) table: the second wraps to slot 0.
        var keys = Enumerable.Range(0, 100_000).Select(i => $"User.{i}")
            .Where(k => (k.GetHashCode(StringComparison.Ordinal) & int.MaxValue & 15) == 15).Take(2).ToArray();
        var writeLock = new Lock();
        var table = new EntryTable(writeLock);
        var first = Entry(keys[0]);
        var wrapped = Entry(keys[1]);
        lock (writeLock)
        {
            table.Set(first);
            table.Set(wrapped);
            Assert.True(table.TryRemove(first));
        }

        using var walk = table.Values.GetEnumerator();
        Assert.True(walk.MoveNext());
        Assert.Same(wrapped, walk.Current);

        // Removed and stored again while the walk runs: the new entry takes the freed last slot, ahead of the walk.
        var again = Entry(keys[1]);
        again.LinkSequence = wrapped.LinkSequence + 1;
        lock (writeLock)
        {
            Assert.True(table.TryRemove(wrapped));
            table.Set(again);
        }

        Assert.True(walk.MoveNext());
        Assert.Same(again, walk.Current);
        Assert.False(walk.MoveNext());

        var listed = Assert.Single(MemoryCacheStore.OnePerKey([wrapped, again]));
        Assert.Same(again, listed);
    }

    [Fact]
    public void Writing_WithoutTheStoresWriteLock_Throws()
    {
        var table = new EntryTable(new Lock());

        Assert.Throws<InvalidOperationException>(() => table.Set(Entry("User.1")));
        Assert.Throws<InvalidOperationException>(() => table.TryRemove("User.1", out _));
    }

    [Fact]
    public void Readers_NeverMissAHeldKey_NorFindAnAbsentOne_WhileAWriterChurnsAndRebuilds()
    {
        var writeLock = new Lock();
        var table = new EntryTable(writeLock);
        var kept = Enumerable.Range(0, 64).Select(i => Entry($"kept.{i}")).ToArray();
        lock (writeLock)
        {
            foreach (var entry in kept)
            {
                table.Set(entry);
            }
        }

        var writing = 1;
        var failures = new System.Collections.Concurrent.ConcurrentQueue<string>();
        var readers = Enumerable.Range(0, 2).Select(r => new Thread(() =>
        {
            var i = r;
            while (Volatile.Read(ref writing) == 1)
            {
                var entry = kept[i++ & 63];
                if (!table.TryGetValue(entry.Key, out var found) || !ReferenceEquals(found, entry))
                {
                    failures.Enqueue($"missed {entry.Key}");
                }

                if (table.TryGetValue($"absent.{i & 1023}", out _))
                {
                    failures.Enqueue($"found absent.{i & 1023}");
                }
            }
        })).ToList();
        readers.ForEach(t => t.Start());

        // Churn: keys come and go, the table grows, fills with markers and is rebuilt many times.
        for (var round = 0; round < 200_000; round++)
        {
            lock (writeLock)
            {
                var key = $"churn.{round % 20_000}";
                if (!table.TryRemove(key, out _))
                {
                    table.Set(Entry(key));
                }
            }
        }

        Volatile.Write(ref writing, 0);
        readers.ForEach(t => t.Join());

        Assert.Empty(failures);
        Assert.All(kept, e => Assert.True(table.TryGetValue(e.Key, out _)));
    }

    private static CacheEntry Entry(string key) => new(key, "User", new object(), "{}", At, 0, At.AddHours(1), null);

    private static void AssertSame(Dictionary<string, CacheEntry> expected, EntryTable table)
    {
        Assert.Equal(expected.Count, table.Count);
        Assert.Equal(expected.Count, table.Values.Count());
        Assert.All(expected, pair => Assert.True(table.TryGetValue(pair.Key, out var held) && ReferenceEquals(held, pair.Value)));
        Assert.All(table.Values, held => Assert.Same(expected[held.Key], held));
        Assert.InRange(table.Count, 0, table.Length * 3 / 4);
    }
}
