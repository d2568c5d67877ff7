using Qset.Caching;

namespace QsetDashboard.Tests.Engine.Reading;

/// <summary>
/// Which source a hit is recorded under. A hit skips the async-local while no scope is open anywhere in the process, so
/// these tests run alone (no other test's scope open beside them), where that shortcut is taken.
/// </summary>
[Collection(Name)]
public sealed class HitSourceTests
{
    /// <summary>The collection that runs by itself.</summary>
    public const string Name = "Hit sources (alone)";

    [Fact]
    public async Task Hit_IsRecordedWithTheSourceOfItsScope_AndTheDefaultOutsideOne()
    {
        await using var host = await EngineOnlyHost.StartAsync();
        await host.AddBookAsync(1, "Dune");
        await host.Entities.FindAsync<Book>(1);

        Assert.True((await host.Entities.ReadAsync<Book>([1])).Hit);
        Assert.Equal(CacheContext.DefaultSource, host.Journal.Latest(1)[0].Source);

        using (CacheContext.Use("outer"))
        {
            // A scope disposed twice counts as closed once: the outer one stays open for the hit.
            var inner = CacheContext.Use("inner");
            inner.Dispose();
            inner.Dispose();

            Assert.True((await host.Entities.ReadAsync<Book>([1])).Hit);
            Assert.Equal("outer", host.Journal.Latest(1)[0].Source);
        }

        Assert.True((await host.Entities.ReadAsync<Book>([1])).Hit);
        Assert.Equal(CacheContext.DefaultSource, host.Journal.Latest(1)[0].Source);
    }
}

/// <summary>Runs <see cref="HitSourceTests"/> with no other test beside it.</summary>
[CollectionDefinition(HitSourceTests.Name, DisableParallelization = true)]
public sealed class HitSourceCollection;
