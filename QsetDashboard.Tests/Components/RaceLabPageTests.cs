using Bunit;
using Qset.Dashboard.Components.Pages;
using QsetDashboard.Components.Pages;

namespace QsetDashboard.Tests.Components;

public sealed class RaceLabPageTests : DashboardTestContext
{
    [Fact]
    public async Task RunAll_ShowsTheStaleRoundThenTheRejectedRound()
    {
        var cut = RenderWithProviders<RaceLab>();
        Assert.Contains("The cache-aside race", cut.Find("[data-testid=race-lab-intro]").TextContent, StringComparison.Ordinal);
        Assert.Contains("App guard: on", cut.Find("[data-testid=race-lab-guard]").TextContent, StringComparison.Ordinal);

        await cut.InvokeAsync(() => cut.Find("[data-testid=demo-run-all]").Click());

        cut.WaitForAssertion(() =>
        {
            var transcript = cut.Find("[data-testid=demo-transcript]").TextContent;
            Assert.Contains("Got User id=7 name=v1 (STALE: the database holds name=v2)", transcript, StringComparison.Ordinal);
            Assert.Contains("  CACHE REJECT key=User.7", transcript, StringComparison.Ordinal);
            Assert.EndsWith("Got User id=7 name=v3 (fresh: the database holds name=v3)", transcript, StringComparison.Ordinal);
        });
    }
}
