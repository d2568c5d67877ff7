using Bunit;
using Qset.Caching;
using Qset.Dashboard.Components.Pages;
using QsetDashboard.Data;
using QsetDashboard.Tests.Infrastructure;
using QsetDashboard.Tests.Redis;

namespace QsetDashboard.Tests.Components;

/// <summary>The Cache page over a real Redis: the namespace tree from Redis's type indexes, and its sorts.</summary>
[Collection(RedisCollection.Name)]
public sealed class CacheBrowserRedisTests(RedisServer redis) : DashboardTestContext
{
    protected override void ConfigureEngine(Dictionary<string, string?> settings) => RedisCollection.Configure(settings, redis, "Redis");

    private static IReadOnlyList<string?> Keys(IRenderedComponent<CacheBrowser> cut) =>
        [.. cut.FindAll("[data-testid=cache-table] [data-testid=cache-row]").Select(r => r.GetAttribute("data-key"))];

    [Fact]
    public async Task OnRedis_TheNamespaceTreeCountsAndFilters_AndTheSortsAreRedissOwn()
    {
        foreach (var (id, name) in new[] { (1, "Al"), (2, "Bea Longname-Smith"), (3, "Cyd") })
        {
            await Engine.Generic.SetAsync(id, new User { Name = name });
            await Engine.Generic.GetAsync<User>(id);
        }

        await Engine.Generic.SetAsync(1, new Team { Name = "Dev" });
        await Engine.Generic.GetAsync<Team>(1);

        var cut = RenderWithProviders<CacheBrowser>();

        // Redis answers asynchronously: the first render comes before the store's answer.
        cut.WaitForAssertion(() => Assert.Equal(["Team", "User"], cut.FindAll("[data-testid=namespace]").Select(n => n.GetAttribute("data-name"))));
        Assert.Contains("3", cut.Find("[data-testid=namespace][data-name='User']").TextContent, StringComparison.Ordinal);
        Assert.Equal(["Key", "Expiring soonest", "Largest first"], Engine.Cache.Store.Orders().Select(CacheBrowser.OrderLabel));

        // Found and clicked on the renderer's thread: Redis's answers re-render the page, and may between the two.
        await cut.InvokeAsync(() => cut.Find("[data-testid=namespace][data-name='Team'] a").ClickAsync(new()));
        cut.WaitForAssertion(() => Assert.Equal(["Team.1"], Keys(cut)));

        await cut.InvokeAsync(() => cut.Find("[data-testid=namespace][data-name='User'] a").ClickAsync(new()));
        var select = cut.FindComponent<MudBlazor.MudSelect<CacheOrder>>();
        await cut.InvokeAsync(() => select.Instance.ValueChanged.InvokeAsync(CacheOrder.Size));
        cut.WaitForAssertion(() => Assert.Equal(["User.2", "User.3", "User.1"], Keys(cut)));

        await cut.InvokeAsync(() => select.Instance.ValueChanged.InvokeAsync(CacheOrder.Ttl));
        cut.WaitForAssertion(() => Assert.Equal(["User.1", "User.2", "User.3"], Keys(cut)));
    }
}
