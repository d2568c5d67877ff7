using Bunit;
using Microsoft.EntityFrameworkCore;
using Qset.Caching.Ledger;
using Qset.Dashboard.Components.Layout;
using QsetDashboard.Components.Layout;
using Qset.Dashboard.Components.Pages;
using QsetDashboard.Components.Pages;
using QsetDashboard.Data;

namespace QsetDashboard.Tests.Components;

public sealed class LedgerPageTests : DashboardTestContext
{
    [Fact]
    public async Task Render_ShowsARowPerEntityAndQuery_AndTheFlagRule()
    {
        await Engine.Repository.UpsertAsync(new User { Id = 1, Name = "<b>Alice</b>" });
        await Engine.Generic.GetAsync<User>(1);
        await Engine.Generic.GetAsync<User>(1);
        await using (var db = Engine.NewContext())
        {
            await db.Users.Cacheable().ToListAsync();
        }

        var cut = Render<Ledger>();

        Assert.Contains("User", cut.Find("[data-testid=entity-ledger] tbody").TextContent, StringComparison.Ordinal);
        Assert.Contains("Query.User.", cut.Find("[data-testid=query-ledger] tbody").TextContent, StringComparison.Ordinal);
        Assert.Contains("invalidations ≥ hits", cut.Find("[data-testid=flag-rule]").TextContent, StringComparison.Ordinal);
        Assert.Empty(cut.FindAll("[data-testid=flagged]"));
    }

    [Fact]
    public async Task NewEvents_RefreshThePage_AndAChurningTableIsFlagged()
    {
        var cut = Render<Ledger>();
        Assert.Contains("No by-id reads yet", cut.Markup, StringComparison.Ordinal);

        // Each write throws away the value the previous round cached: one more round than the threshold.
        for (var i = 0; i <= SavingsLedger.MinInvalidationsToFlag; i++)
        {
            await Engine.Generic.SetAsync(2, new Team { Name = $"Team {i}" });
            await Engine.Generic.GetAsync<Team>(2);
        }

        cut.WaitForAssertion(() => Assert.Single(cut.FindAll("[data-testid=flagged]")), TimeSpan.FromSeconds(10));
    }

    [Fact]
    public void NavMenu_LinksToTheLedger()
    {
        var cut = Render<MainLayout>();

        Assert.Equal("Savings ledger", cut.Find("a[href='ledger']").TextContent.Trim());
    }
}
