using QsetDashboard.Demos;
using QsetDashboard.Tests.Infrastructure;

namespace QsetDashboard.Tests.Sample;

public sealed class EfDemoTests
{
    [Fact]
    public async Task Signals_InvalidatesEveryWritePathByItself_AndNotOnRollback()
    {
        await using var host = await EngineHost.StartAsync();
        var run = new DemoRun(host.Demos.Find("signals")!);

        await run.RunAllAsync();

        Assert.Equal(
        [
            "Creating a user with id=1 with SaveChanges (no cache call)",
            "  CACHE INVALIDATE key=User.1 (automatic: SaveChanges committed: User added)",
            "First get of user with id=1",
            "  CACHE MISS key=User.1",
            "  CACHE POPULATE key=User.1",
            "Got User id=1 name=Alice",
            "Second get of user with id=1",
            "  CACHE HIT key=User.1",
            "Got User id=1 name=Alice",
            "Renaming the user to Jane with SaveChanges",
            "  CACHE INVALIDATE key=User.1 (automatic: SaveChanges committed: User modified)",
            "Get of user with id=1",
            "  CACHE MISS key=User.1",
            "  CACHE POPULATE key=User.1",
            "Got User id=1 name=Jane",
            "Renaming the user to Bob in a transaction, then rolling back",
            "Rolled back: nothing to invalidate",
            "Get of user with id=1",
            "  CACHE HIT key=User.1",
            "Got User id=1 name=Jane",
            "Renaming the user to Joan with ExecuteUpdate (bypasses SaveChanges)",
            "  CACHE INVALIDATE key=User.1 (automatic: ExecuteUpdate on Users)",
            "Get of user with id=1",
            "  CACHE MISS key=User.1",
            "  CACHE POPULATE key=User.1",
            "Got User id=1 name=Joan",
            "Deleting the user with raw SQL",
            "  CACHE INVALIDATE key=User.1 (automatic: raw SQL DELETE on Users)",
            "Get removed user with id=1",
            "  CACHE MISS key=User.1",
            "Got None",
        ], run.Log.Skip(1));
        Assert.All(run.Completed.SelectMany(s => s.Events), e => Assert.Equal("signals", e.Source));
    }

    [Fact]
    public async Task QuerySets_HitThenInvalidateThenFreshResult()
    {
        await using var host = await EngineHost.StartAsync();
        var run = new DemoRun(host.Demos.Find("querysets")!);

        await run.RunAllAsync();

        var steps = run.Completed;
        Assert.Equal("Got 2 users: Alice, Anna", steps[1].Result);
        Assert.Equal(["MISS", "POPULATE"], steps[1].Events.Select(e => e.Kind.ToString().ToUpperInvariant()));
        var key = steps[1].Events[0].Key;
        Assert.StartsWith("Query.User.", key, StringComparison.Ordinal);
        Assert.Equal([(Qset.Caching.CacheEventKind.Hit, key)], steps[2].Events.Select(e => (e.Kind, e.Key)));
        Assert.Contains(steps[3].Events, e => e.Key == key && e.Detail == "SaveChanges committed: User added");
        Assert.Equal("Got 3 users: Alice, Anna, Ava", steps[4].Result);
        Assert.Equal(key, steps[4].Events[0].Key);
        Assert.Equal(Qset.Caching.CacheEventKind.Hit, Assert.Single(steps[5].Events).Kind);
        Assert.Equal("Got 1 user: Bob", steps[6].Result);
        Assert.NotEqual(key, steps[6].Events[0].Key);
    }

    [Theory]
    [InlineData("signals")]
    [InlineData("querysets")]
    public async Task RunTwice_StartsCleanEachTime(string name)
    {
        await using var host = await EngineHost.StartAsync();
        await new DemoRun(host.Demos.Find(name)!).RunAllAsync();

        var second = new DemoRun(host.Demos.Find(name)!);
        await second.RunAllAsync();

        Assert.Equal(Qset.Caching.CacheEventKind.Miss, second.Completed[1].Events[0].Kind);
        Assert.Equal(name == "signals" ? "Got User id=1 name=Alice" : "Got 2 users: Alice, Anna", second.Completed[1].Result);
    }
}
