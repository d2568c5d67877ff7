using Bunit;
using Qset.Dashboard.Components.Pages;
using QsetDashboard.Components.Pages;
using QsetDashboard.Data;
using QsetDashboard.Styles;

namespace QsetDashboard.Tests.Components;

public sealed class CompareTests : DashboardTestContext
{
    [Fact]
    public void Render_ShowsTheSeedsFiveRows_InCSharp()
    {
        var cut = RenderWithProviders<Compare>();

        var rows = cut.FindAll("[data-testid=compare-row]");
        Assert.Equal(5, rows.Count);
        Assert.Equal(["Simple", "Generic", "", "Cacheable Model", ""], rows.Select(r => r.QuerySelector("td b")!.TextContent.Trim()));
        Assert.Contains("SimpleCache", rows[0].TextContent, StringComparison.Ordinal);
        Assert.Contains("SetUserAsync(id, \"name\")", rows[0].TextContent, StringComparison.Ordinal);
        Assert.Contains("GetAsync<Team>(id)", rows[2].TextContent, StringComparison.Ordinal);
        Assert.Contains("teams.RemoveAsync(id)", rows[4].TextContent, StringComparison.Ordinal);
        Assert.Contains("ModelCache<Team> teams", rows[4].TextContent, StringComparison.Ordinal);
        Assert.All(cut.FindAll("[data-testid=compare-keys]"), k => Assert.Equal("none", k.TextContent.Trim()));
    }

    [Fact]
    public async Task LiveKeys_AppearBesideTheStylesThatOwnThem()
    {
        var cut = RenderWithProviders<Compare>();

        await Engine.Simple.SetUserAsync(3, "Alice");
        await Engine.Simple.GetUserAsync(3);
        await Engine.Generic.SetAsync(2, new Team { Name = "Dev" });
        await Engine.Generic.GetAsync<Team>(2);

        cut.WaitForAssertion(() =>
        {
            var keys = cut.FindAll("[data-testid=compare-keys]").Select(k => k.TextContent.Trim()).ToList();
            Assert.Equal(["3", "none", "Team.2", "none", "Team.2"], keys);
        });
    }
}
