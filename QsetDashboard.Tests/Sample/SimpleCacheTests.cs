using Qset.Caching;
using QsetDashboard.Tests.Infrastructure;

namespace QsetDashboard.Tests.Sample;

public sealed class SimpleCacheTests
{
    [Fact]
    public async Task UserKeys_AreTheBareId()
    {
        await using var host = await EngineHost.StartAsync();
        await host.Simple.SetUserAsync(1, "Alice");

        var user = await host.Simple.GetUserAsync(1);

        Assert.Equal("Alice", user!.Name);
        Assert.All(host.Events(), e => Assert.Equal("1", e.Key));
    }

    [Fact]
    public async Task TeamUnderTheSameBareKey_IsReportedAsAClash_NotServedAsAUser()
    {
        await using var host = await EngineHost.StartAsync();
        await host.Simple.SetUserAsync(1, "Alice");
        await host.Repository.UpsertAsync(new QsetDashboard.Data.Team { Id = 1, Name = "Dev" });
        await host.Simple.GetUserAsync(1);

        var team = await host.Simple.GetTeamAsync(1);
        var user = await host.Simple.GetUserAsync(1);

        Assert.Equal("Dev", team!.Name);
        Assert.Equal("Alice", user!.Name);
        var clashes = host.Events().Where(e => e.Kind == CacheEventKind.Clash).ToList();
        Assert.Equal(2, clashes.Count);
        Assert.Contains("holds a User, not a Team", clashes[0].Detail, StringComparison.Ordinal);
        Assert.Contains("holds a Team, not a User", clashes[1].Detail, StringComparison.Ordinal);
        Assert.Contains(host.Events(), e => e.Kind == CacheEventKind.Populate && e.Detail == "overwrote a User cached under the same key");
        Assert.Equal(2, host.Cache.GetStats().Clashes);
    }
}
