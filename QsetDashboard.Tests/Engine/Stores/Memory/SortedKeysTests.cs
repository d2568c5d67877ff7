using Qset.Caching;

namespace QsetDashboard.Tests.Engine.Stores.Memory;

/// <summary>The chunked index of keys by type keeps exactly what a sorted set would, within its fill bounds.</summary>
public sealed class SortedKeysTests
{
    [Theory]
    [InlineData(1, 20_000, 0.7)]
    [InlineData(2, 20_000, 0.5)]
    [InlineData(3, 20_000, 0.3)]
    public void RandomAddsAndRemoves_KeepTheSameKeysInTheSameOrder_AsASortedSet(int seed, int operations, double addShare)
    {
        var random = new Random(seed);
        var keys = new SortedKeys();
        var expected = new SortedSet<string>(StringComparer.Ordinal);

        for (var i = 0; i < operations; i++)
        {
            var key = $"User.{random.Next(5_000)}";
            if (random.NextDouble() < addShare)
            {
                Assert.Equal(expected.Add(key), keys.Add(key));
            }
            else
            {
                Assert.Equal(expected.Remove(key), keys.Remove(key));
            }

            if (i % 997 == 0)
            {
                AssertSame(expected, keys, random);
            }
        }

        AssertSame(expected, keys, random);

        // Emptied, it is empty, and fills again from nothing.
        foreach (var key in expected.ToList())
        {
            Assert.True(keys.Remove(key));
        }

        Assert.Equal(0, keys.Count);
        Assert.Empty(keys);
        Assert.Empty(keys.ChunkFills);
        Assert.True(keys.Add("Team.1"));
        Assert.Equal(["Team.1"], keys);
    }

    [Fact]
    public void KeysThatGrow_FillTheirChunks()
    {
        var keys = new SortedKeys();
        for (var id = 0; id < 10 * SortedKeys.ChunkCapacity; id++)
        {
            keys.Add($"User.{id:D7}");
        }

        Assert.All(keys.ChunkFills, fill => Assert.Equal(SortedKeys.ChunkCapacity, fill));
        Assert.Equal($"User.{(10 * SortedKeys.ChunkCapacity) - 1:D7}", keys.Last());
    }

    [Fact]
    public void After_AKeyNotHeld_StartsAtTheNextOne_AndPastTheLastIsEmpty()
    {
        var keys = new SortedKeys();
        foreach (var key in new[] { "b", "d", "f" })
        {
            keys.Add(key);
        }

        Assert.Equal(["d", "f"], keys.After("c"));
        Assert.Equal(["f"], keys.After("d"));
        Assert.Equal(["b", "d", "f"], keys.After(""));
        Assert.Empty(keys.After("f"));
        Assert.Empty(keys.After("z"));
    }

    [Fact]
    public void ChangingTheKeys_WhileTheyAreWalked_Throws()
    {
        var keys = new SortedKeys();
        keys.Add("a");
        keys.Add("b");

        Assert.Throws<InvalidOperationException>(() =>
        {
            foreach (var key in keys)
            {
                keys.Add(key + "x");
            }
        });
    }

    private static void AssertSame(SortedSet<string> expected, SortedKeys keys, Random random)
    {
        Assert.Equal(expected.Count, keys.Count);
        Assert.Equal(expected, keys);
        var fills = keys.ChunkFills;
        // Every chunk but the last (where keys past all others start a new one) is at least a quarter full.
        Assert.All(fills.SkipLast(1), fill => Assert.InRange(fill, SortedKeys.MinimumFill, SortedKeys.ChunkCapacity));
        Assert.All(fills, fill => Assert.InRange(fill, 1, SortedKeys.ChunkCapacity));
        Assert.Equal(expected.Count, fills.Sum());
        for (var probe = 0; probe < 5; probe++)
        {
            var after = $"User.{random.Next(5_000)}";
            Assert.Equal(expected.Where(k => string.CompareOrdinal(k, after) > 0).Take(50), keys.After(after).Take(50));
        }
    }
}
