using Bunit;
using Qset.Dashboard.Components.Layout;
using QsetDashboard.Components.Layout;

namespace QsetDashboard.Tests.Components;

public sealed class LayoutTests : DashboardTestContext
{
    [Fact]
    public void MainLayout_RendersNavigationWithEveryDemo_AndTheThemeToggle()
    {
        var cut = Render<MainLayout>();

        Assert.Contains("Qset Dashboard", cut.Markup, StringComparison.Ordinal);
        foreach (var scenario in Engine.Demos.All)
        {
            Assert.Equal(scenario.Name, Assert.Single(cut.FindAll($"a[href='demos/{scenario.Name}']")).TextContent.Trim());
        }

        Assert.Equal("Toggle dark mode", cut.Find("[data-testid=theme-toggle]").GetAttribute("aria-label"));
    }
}
