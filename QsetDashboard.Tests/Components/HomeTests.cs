using Bunit;
using Qset.Dashboard.Components.Pages;
using QsetDashboard.Components.Pages;
using QsetDashboard.Data;

namespace QsetDashboard.Tests.Components;

public sealed class HomeTests : DashboardTestContext
{
    [Fact]
    public async Task Render_ShowsBackendCountersAndChart_FromTheEngine()
    {
        await Engine.Generic.SetAsync(1, new User { Name = "Alice" });
        await Engine.Generic.GetAsync<User>(1);
        await Engine.Generic.GetAsync<User>(1);
        await Engine.Generic.GetAsync<User>(1);

        var cut = RenderWithProviders<Home>();

        Assert.Contains("Memory", cut.Find("[data-testid=overview-backend]").TextContent, StringComparison.Ordinal);
        Assert.Equal("1 / 100", cut.Find("[data-testid=stat-entries-value]").TextContent);
        Assert.Equal("2", cut.Find("[data-testid=stat-hits-value]").TextContent);
        Assert.Equal("1", cut.Find("[data-testid=stat-misses-value]").TextContent);
        Assert.Equal("66.7 %", cut.Find("[data-testid=stat-ratio-value]").TextContent);
        Assert.Equal("2", cut.Find("[data-testid=stat-saved-value]").TextContent);
        Assert.Equal("2", cut.Find("[data-testid=chart-hits]").TextContent);
        Assert.Equal("1", cut.Find("[data-testid=chart-misses]").TextContent);
        Assert.Equal("HIT", cut.FindAll("[data-testid=timeline-item]")[0].GetAttribute("data-kind"));
        Assert.Equal("1", cut.Find("[data-testid=kind-totals] [data-kind=POPULATE] [data-testid=kind-total]").TextContent);
    }

    [Fact]
    public void TheDatabaseFeed_ShowsItsStateAndWhy_OffByDefault_AndItsLagOnceLive()
    {
        var off = RenderWithProviders<Home>();
        Assert.Equal("off", off.Find("[data-testid=overview-feed]").GetAttribute("data-state"));
        Assert.Contains("Cache:WatchDatabase is off", off.Find("[data-testid=overview-feed]").TextContent, StringComparison.Ordinal);

        Engine.Get<Qset.Caching.Feed.FeedBoard>().Report("qsets.db", new Qset.Caching.DatabaseFeedStatus(
            Qset.Caching.DatabaseFeedState.Live, 12.4, new DateTimeOffset(2026, 12, 8, 9, 30, 5, TimeSpan.Zero), "following 2 tables of qsets.db") { Changes = 3 });
        var live = RenderWithProviders<Home>();

        var feed = live.Find("[data-testid=overview-feed]");
        Assert.Equal("live", feed.GetAttribute("data-state"));
        Assert.Contains("lag 12 ms · last change 09:30:05 UTC · 3 changes", feed.TextContent, StringComparison.Ordinal);
        Assert.Contains("following 2 tables of qsets.db", feed.TextContent, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ChangeElsewhere_AppearsWithoutAReload()
    {
        var cut = RenderWithProviders<Home>();
        cut.WaitForAssertion(() => Assert.Equal("0", cut.Find("[data-testid=stat-misses-value]").TextContent));

        await Engine.Generic.GetAsync<User>(7);

        cut.WaitForAssertion(() =>
        {
            Assert.Equal("1", cut.Find("[data-testid=stat-misses-value]").TextContent);
            Assert.Equal("1", cut.Find("[data-testid=chart-misses]").TextContent);
            Assert.Equal("User.7", cut.FindAll("[data-testid=timeline-item]")[0].GetAttribute("data-key"));
        });
    }

    [Fact]
    public async Task Disposing_ThePage_DisposesItsJournalSubscription()
    {
        var before = Engine.Journal.SubscriberCount;
        RenderWithProviders<Home>();
        Assert.Equal(before + 1, Engine.Journal.SubscriberCount);

        await DisposeComponentsAsync();

        Assert.Equal(before, Engine.Journal.SubscriberCount);
    }
}
