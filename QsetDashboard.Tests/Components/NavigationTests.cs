using Bunit;
using Qset.Dashboard.Components.Layout;
using QsetDashboard.Components.Layout;

namespace QsetDashboard.Tests.Components;

public sealed class NavigationTests : DashboardTestContext
{
    [Fact]
    public void NavMenu_LinksEveryPage_AndEveryDemoInTheCatalog()
    {
        var cut = Render<NavMenu>();

        // Relative links, so that they resolve under wherever the host mounts the dashboard; the sample's pages come
        // from its navigation extension.
        foreach (var href in new[] { "./", "cache", "events", "ledger", "playground", "compare", "race-lab", "load" })
        {
            Assert.Single(cut.FindAll($"a[href='{href}']"));
        }

        Assert.Equal(Engine.Demos.All.Count, cut.FindAll("a[href^='demos/']").Count);
    }
}
