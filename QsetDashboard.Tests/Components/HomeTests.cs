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
