using Bunit;
using Microsoft.Extensions.DependencyInjection;
using Qset.Dashboard.Components.Layout;
using QsetDashboard.Components.Layout;
using Qset.Dashboard.Components.Pages;
using QsetDashboard.Components.Pages;
using QsetDashboard.Load;

namespace QsetDashboard.Tests.Components;

public sealed class LoadLabTests : DashboardTestContext
{
    [Fact]
    public async Task Start_ATinyRun_ShowsProgressChartsAndTheSummary_ThenStopsByItself()
    {
        var cut = Render<LoadLab>();
        cut.Find("#load-clients").Input("1");
        // Three seconds over five keys: enough reads to hit even when the other test classes load both cores.
        cut.Find("#load-duration").Input("3");
        cut.Find("#load-keys").Input("5");
        cut.Find("#load-reads").Input("100");

        await cut.InvokeAsync(() => cut.Find("[data-testid=load-start]").Click());

        cut.WaitForElement("[data-testid=load-result]", TimeSpan.FromSeconds(30));
        Assert.Contains("Completed.", cut.Find("[data-testid=load-status]").TextContent, StringComparison.Ordinal);
        Assert.Contains("completed after", cut.Find("[data-testid=load-result]").TextContent, StringComparison.Ordinal);
        Assert.NotEmpty(cut.Find("[data-testid=chart-ops] polyline").GetAttribute("points")!.Trim());
        Assert.NotEmpty(cut.Find("[data-testid=chart-latency] polyline").GetAttribute("points")!.Trim());
        // Every operation was a read through the cache (each client makes at least one, however busy the machine).
        var stats = Engine.Cache.GetStats();
        Assert.True(stats.Hits + stats.Misses > 0, cut.Find("[data-testid=load-result]").TextContent);

        Assert.False(cut.Find("[data-testid=load-start]").HasAttribute("disabled"));
    }

    [Fact]
    public void InvalidClients_ShowsTheRangeAndDisablesStart()
    {
        var cut = Render<LoadLab>();

        cut.Find("#load-clients").Input("0");

        cut.WaitForAssertion(() =>
        {
            Assert.Contains("Clients must be between 1 and 32 (got 0)", cut.Markup, StringComparison.Ordinal);
            Assert.True(cut.Find("[data-testid=load-start]").HasAttribute("disabled"));
        });
    }

    [Fact]
    public void NavMenu_LinksToTheLoadLab()
    {
        var cut = Render<NavMenu>();

        Assert.Equal("Load lab", cut.Find("a[href='load']").TextContent.Trim());
    }
}
