using Bunit;
using QsetDashboard.Components.Layout;

namespace QsetDashboard.Tests.Components;

public sealed class NavigationTests : DashboardTestContext
{
    [Fact]
    public void NavMenu_LinksEveryPage_AndEveryDemoInTheCatalog()
    {
        var cut = Render<NavMenu>();

        foreach (var href in new[] { "/", "/cache", "/events", "/playground", "/compare" })
        {
            Assert.Single(cut.FindAll($"a[href='{href}']"));
        }

        Assert.Equal(Engine.Demos.All.Count, cut.FindAll("a[href^='/demos/']").Count);
    }
}
