using Bunit;
using MudBlazor;
using Qset.Caching;
using Qset.Dashboard.Components.Controls;
using QsetDashboard.Components.Controls;
using Qset.Dashboard.Components.Dialogs;
using Qset.Dashboard.Model;
using QsetDashboard.Model;

namespace QsetDashboard.Tests.Components;

public sealed class ControlTests : DashboardTestContext
{
    private static CacheEvent Event(long sequence, CacheEventKind kind, string key, string? detail = null) =>
        new(sequence, DateTimeOffset.UnixEpoch, kind, key, "User", "test", TimeSpan.FromMilliseconds(1.5), detail);

    [Fact]
    public void EventTimeline_WithoutEvents_SaysSo()
    {
        var cut = Render<EventTimeline>(p => p.Add(t => t.Events, []).Add(t => t.EmptyText, "Quiet."));

        Assert.Equal("Quiet.", cut.Find("[data-testid=timeline-empty]").TextContent);
    }

    [Fact]
    public void EventTimeline_DrawsUpToTheLimit_InTheGivenOrder_WithMarkupAsText()
    {
        CacheEvent[] events = [Event(3, CacheEventKind.Hit, "User.1"), Event(2, CacheEventKind.Populate, "<i>x</i>", "<script>bad()</script>"), Event(1, CacheEventKind.Miss, "User.1")];

        var cut = Render<EventTimeline>(p => p.Add(t => t.Events, events).Add(t => t.Limit, 2));

        var items = cut.FindAll("[data-testid=timeline-item]");
        Assert.Equal(["HIT", "POPULATE"], items.Select(i => i.GetAttribute("data-kind")));
        Assert.Empty(cut.FindAll("[data-testid=timeline] i, [data-testid=timeline] script"));
        Assert.Contains("<script>bad()</script>", items[1].TextContent, StringComparison.Ordinal);
        Assert.Contains("1.50 ms", items[0].TextContent, StringComparison.Ordinal);
    }

    [Fact]
    public void EventTimeline_AnInvalidationThatRemovedNothing_SaysNothingWasCached()
    {
        CacheEvent[] events =
        [
            Event(3, CacheEventKind.Invalidate, "User.2") with { Count = 0 },
            Event(2, CacheEventKind.Invalidate, "User.1", "SaveChanges on Users") with { Count = 0 },
            Event(1, CacheEventKind.Invalidate, "User.1", "SaveChanges on Users"),
        ];

        var cut = Render<EventTimeline>(p => p.Add(t => t.Events, events));

        Assert.Equal(
            ["nothing was cached under the key", "SaveChanges on Users · nothing was cached under the key", "SaveChanges on Users"],
            cut.FindAll(".qset-detail").Select(d => d.TextContent));
    }

    [Fact]
    public async Task CacheContents_OffersInvalidate_OnlyWithACallback_AndPassesTheKey()
    {
        CacheEntryRow[] rows = [new("User.1", "User", "{ \"name\": \"<b>A</b>\" }", 24, TimeSpan.FromSeconds(5), TimeSpan.FromSeconds(295))];
        var plain = RenderWithProviders<CacheContents>(p => p.Add(c => c.Rows, rows));
        Assert.Empty(plain.FindAll("[data-testid=invalidate-key]"));
        Assert.Equal("4:55", plain.Find("[data-testid=cache-ttl]").TextContent);
        Assert.Empty(plain.FindAll("[data-testid=cache-value] b"));

        string? invalidated = null;
        var cut = RenderWithProviders<CacheContents>(p => p.Add(c => c.Rows, rows).Add(c => c.OnInvalidate, (string key) => invalidated = key));
        await cut.InvokeAsync(() => cut.Find("[data-testid=invalidate-key]").Click());

        Assert.Equal("User.1", invalidated);
    }

    [Fact]
    public void CacheContents_WithoutRows_ShowsTheEmptyText()
    {
        var cut = Render<CacheContents>(p => p.Add(c => c.Rows, []).Add(c => c.TestId, "t").Add(c => c.EmptyText, "Nothing."));

        Assert.Equal("Nothing.", cut.Find("[data-testid=t-empty]").TextContent);
    }

    [Fact]
    public void HitMissChart_DrawsABarPerBusySecond_AndTotals()
    {
        var start = DateTimeOffset.UnixEpoch;
        HitMissBucket[] buckets = [new(start, 4, 1), new(start.AddSeconds(1), 0, 0), new(start.AddSeconds(2), 2, 0)];

        var cut = Render<HitMissChart>(p => p.Add(c => c.Buckets, buckets));

        Assert.Equal(["4", "2"], cut.FindAll("rect.qset-bar-hit").Select(r => r.GetAttribute("data-hits")));
        Assert.Equal(["1"], cut.FindAll("rect.qset-bar-miss").Select(r => r.GetAttribute("data-misses")));
        Assert.Equal("6", cut.Find("[data-testid=chart-hits]").TextContent);
        Assert.Equal("1", cut.Find("[data-testid=chart-misses]").TextContent);
    }

    [Fact]
    public void StatCard_ShowsLabelValueAndHint()
    {
        var cut = Render<StatCard>(p => p.Add(c => c.Label, "Hits").Add(c => c.Value, "42").Add(c => c.Hint, "of 50").Add(c => c.TestId, "s"));

        Assert.Equal("42", cut.Find("[data-testid=s-value]").TextContent);
        Assert.Contains("Hits", cut.Markup, StringComparison.Ordinal);
        Assert.Contains("of 50", cut.Markup, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(CacheEventKind.Hit, "HIT")]
    [InlineData(CacheEventKind.Clash, "CLASH")]
    public void KindChip_ShowsTheSeedsLabel(CacheEventKind kind, string label)
    {
        var cut = Render<KindChip>(p => p.Add(c => c.Kind, kind));

        Assert.Equal(label, cut.Find(".qset-kind").GetAttribute("data-kind"));
        Assert.Contains(label, cut.Markup, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ConfirmDialog_ReturnsOk_OnConfirm_AndCancel_OnCancel()
    {
        var provider = RenderDialogProvider();
        var dialogs = Services.GetService(typeof(IDialogService)) as IDialogService;
        var parameters = new DialogParameters<ConfirmDialog> { { d => d.Message, "Sure?" }, { d => d.ConfirmText, "Yes" } };

        var first = await provider.InvokeAsync(() => dialogs!.ShowAsync<ConfirmDialog>("Q", parameters));
        provider.WaitForAssertion(() => Assert.Equal("Yes", provider.Find("[data-testid=confirm-ok]").TextContent.Trim()));
        await provider.InvokeAsync(() => provider.Find("[data-testid=confirm-ok]").Click());
        Assert.False((await first.Result)!.Canceled);

        var second = await provider.InvokeAsync(() => dialogs!.ShowAsync<ConfirmDialog>("Q", parameters));
        provider.WaitForAssertion(() => provider.Find("[data-testid=confirm-cancel]"));
        await provider.InvokeAsync(() => provider.Find("[data-testid=confirm-cancel]").Click());
        Assert.True((await second.Result)!.Canceled);
    }
}
