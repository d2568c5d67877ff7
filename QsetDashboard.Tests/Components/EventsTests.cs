using Bunit;
using Qset.Caching;
using Qset.Dashboard.Components.Pages;
using QsetDashboard.Components.Pages;

namespace QsetDashboard.Tests.Components;

public sealed class EventsTests : DashboardTestContext
{
    private void Append(int count, CacheEventKind kind = CacheEventKind.Hit, string source = "test", string keyPrefix = "User.")
    {
        for (var i = 1; i <= count; i++)
        {
            Engine.Journal.Append(new CacheEvent(0, DateTimeOffset.UtcNow, kind, keyPrefix + i, "User", source, TimeSpan.FromMilliseconds(0.25), null));
        }
    }

    private static IReadOnlyList<string?> Keys(IRenderedComponent<Events> cut) =>
        [.. cut.FindAll("[data-testid=event-row]").Select(r => r.GetAttribute("data-key"))];

    [Fact]
    public void TenThousandEvents_AreCountedButOnlyAFewRowsAreRendered_NewestFirst()
    {
        Append(10_000);

        var cut = RenderWithProviders<Events>();

        Assert.StartsWith("10,000 of 10,000 events", cut.Find("[data-testid=events-count]").TextContent.Trim(), StringComparison.Ordinal);
        var rows = cut.FindAll("[data-testid=event-row]");
        Assert.InRange(rows.Count, 1, 200); // a window of the 10,000, not all of them
        Assert.Equal("User.10000", rows[0].GetAttribute("data-key"));
        Assert.Equal("User.9999", rows[1].GetAttribute("data-key"));
    }

    [Fact]
    public async Task Filters_ByKindKeyAndSource_Combine()
    {
        Append(3, CacheEventKind.Hit, "api");
        Append(2, CacheEventKind.Miss, "generic", "Team.");
        var cut = RenderWithProviders<Events>();

        await cut.InvokeAsync(() => cut.FindAll("[data-testid=events-kind] .mud-toggle-item").First(b => b.TextContent.Trim() == "MISS").Click());
        cut.WaitForAssertion(() => Assert.Equal(["Team.2", "Team.1"], Keys(cut)));

        await cut.InvokeAsync(() => cut.FindAll("[data-testid=events-kind] .mud-toggle-item").First(b => b.TextContent.Trim() == "All kinds").Click());
        await cut.InvokeAsync(() => cut.Find("input[data-testid=events-source]").Input("API"));
        cut.WaitForAssertion(() => Assert.Equal(["User.3", "User.2", "User.1"], Keys(cut)));

        await cut.InvokeAsync(() => cut.Find("input[data-testid=events-key]").Input("user.2"));
        cut.WaitForAssertion(() => Assert.Equal(["User.2"], Keys(cut)));

        await cut.InvokeAsync(() => cut.Find("input[data-testid=events-key]").Input("nothing"));
        cut.WaitForAssertion(() => Assert.Equal("No event matches the filter.", cut.Find("[data-testid=events-empty]").TextContent.Trim()));
    }

    [Fact]
    public async Task Pause_FreezesTheList_CountsWhatArrives_AndResumeShowsIt()
    {
        Append(2);
        var cut = RenderWithProviders<Events>();
        cut.WaitForAssertion(() => Assert.Equal(2, Keys(cut).Count));

        await cut.InvokeAsync(() => cut.Find("[data-testid=events-pause]").Click());
        Assert.Equal("Resume", cut.Find("[data-testid=events-pause]").TextContent.Trim());
        Append(3, keyPrefix: "Team.");

        cut.WaitForAssertion(() => Assert.Contains("3 new while paused", cut.Find("[data-testid=events-pending]").TextContent, StringComparison.Ordinal));
        Assert.Equal(2, Keys(cut).Count);

        await cut.InvokeAsync(() => cut.Find("[data-testid=events-pause]").Click());
        cut.WaitForAssertion(() => Assert.Equal(["Team.3", "Team.2", "Team.1", "User.2", "User.1"], Keys(cut)));
    }

    [Fact]
    public void MarkupInAKey_IsRenderedAsText()
    {
        Engine.Journal.Append(new CacheEvent(0, DateTimeOffset.UtcNow, CacheEventKind.Miss, "<img src=x onerror=alert(1)>", "User", "<b>src</b>", TimeSpan.Zero, "<script>alert(2)</script>"));

        var cut = RenderWithProviders<Events>();

        Assert.Empty(cut.FindAll("[data-testid=events-list] img"));
        Assert.Empty(cut.FindAll("[data-testid=events-list] script"));
        Assert.Empty(cut.FindAll("[data-testid=events-list] b"));
        Assert.Contains("<script>alert(2)</script>", cut.Find("[data-testid=event-row]").TextContent, StringComparison.Ordinal);
    }
}
