using Microsoft.EntityFrameworkCore;
using Bunit;
using Qset.Caching;
using QsetDashboard.Tests.Infrastructure;
using Qset.Dashboard.Components.Pages;
using QsetDashboard.Components.Pages;
using QsetDashboard.Data;

namespace QsetDashboard.Tests.Components;

public sealed class CacheBrowserTests : DashboardTestContext
{
    protected override void ConfigureEngine(Dictionary<string, string?> settings) => settings["Cache:Capacity"] = "1000";

    private async Task SeedAsync()
    {
        await Engine.Generic.SetAsync(1, new User { Name = "Alice" });
        await Engine.Generic.SetAsync(2, new User { Name = "Bob" });
        await Engine.Generic.SetAsync(1, new Team { Name = "Dev" });
        await Engine.Generic.GetAsync<User>(1);
        await Engine.Generic.GetAsync<User>(2);
        await Engine.Generic.GetAsync<Team>(1);
    }

    private static IReadOnlyList<string?> Keys(IRenderedComponent<CacheBrowser> cut) =>
        [.. cut.FindAll("[data-testid=cache-table] [data-testid=cache-row]").Select(r => r.GetAttribute("data-key"))];

    [Fact]
    public async Task Render_ListsEveryKey_WithItsJsonValueSizeAndTtl()
    {
        await SeedAsync();

        var cut = RenderWithProviders<CacheBrowser>();

        Assert.Equal(["Team.1", "User.1", "User.2"], Keys(cut));
        var value = cut.FindAll("[data-testid=cache-value]")[1].TextContent;
        Assert.Contains("\"name\": \"Alice\"", value, StringComparison.Ordinal);
        Assert.Equal("5:00", cut.FindAll("[data-testid=cache-ttl]")[1].TextContent);
        Assert.Contains("page 1 · 3 shown · 3 keys", cut.Find("[data-testid=cache-count]").TextContent, StringComparison.Ordinal);
        Assert.True(cut.Find("[data-testid=cache-next]").HasAttribute("disabled"));
    }

    [Fact]
    public async Task Namespaces_CountKeysPerTypeAndQueriesPerTable_AndAClickFilters()
    {
        await SeedAsync();
        await using (var db = Engine.NewContext())
        {
            await db.Users.Where(u => u.Id > 0).Cacheable().ToListAsync();
            await db.Users.Where(u => u.Id > 1).Cacheable().ToListAsync();
        }

        var cut = RenderWithProviders<CacheBrowser>();

        string Count(string testId, string name) =>
            cut.Find($"[data-testid={testId}][data-name='{name}']").TextContent;
        Assert.Equal(["Query", "Team", "User"], cut.FindAll("[data-testid=namespace]").Select(n => n.GetAttribute("data-name")));
        Assert.Contains("2", Count("namespace", "User"), StringComparison.Ordinal);
        Assert.Contains("1", Count("namespace", "Team"), StringComparison.Ordinal);
        Assert.Contains("2 queries", Count("namespace-table", "User"), StringComparison.Ordinal);

        await cut.Find("[data-testid=namespace][data-name='Team'] a").ClickAsync(new());
        cut.WaitForAssertion(() => Assert.Equal(["Team.1"], Keys(cut)));

        await cut.Find("[data-testid=namespace-table][data-name='User'] a").ClickAsync(new());
        cut.WaitForAssertion(() => Assert.Equal(2, Keys(cut).Count(k => k!.StartsWith("Query.User.", StringComparison.Ordinal))));
    }

    [Fact]
    public async Task LargestKeysAndTtls_ComeFromABoundedSample_AndSayHowBig()
    {
        await SeedAsync();
        await Engine.Generic.SetAsync(3, new User { Name = new string('x', 90) });
        await Engine.Generic.GetAsync<User>(3);

        var cut = RenderWithProviders<CacheBrowser>();

        Assert.Equal("User.3", cut.FindAll("[data-testid=largest-key]")[0].GetAttribute("data-key"));
        Assert.Contains("all 4 keys", cut.Find("[data-testid=cache-sample]").TextContent, StringComparison.Ordinal);

        // The default TTL is five minutes: every key has just under (or, to the clock's grain, exactly) five minutes left.
        var buckets = cut.FindAll("[data-testid=ttl-bucket]")
            .ToDictionary(b => b.GetAttribute("data-label")!, b => int.Parse(b.GetAttribute("data-count")!, System.Globalization.CultureInfo.InvariantCulture));
        Assert.Equal(["< 10 s", "< 1 min", "< 5 min", "< 1 h", "≥ 1 h"], buckets.Keys);
        Assert.Equal(4, buckets["< 5 min"] + buckets["< 1 h"]);
        Assert.Equal(4, buckets.Values.Sum());
        Assert.True(CacheBrowser.SampleSize <= 10_000);
    }

    [Fact]
    public async Task Sort_OffersEveryOrderTheStoreKeeps_AndListsByTtlAndBySizeOnTheServer()
    {
        await SeedAsync();
        await Engine.Generic.SetAsync(3, new User { Name = "A much longer name than the others" });
        await Engine.Generic.GetAsync<User>(3);

        var cut = RenderWithProviders<CacheBrowser>();
        var select = cut.FindComponent<MudBlazor.MudSelect<CacheOrder>>();
        Assert.Equal(
            ["Key", "Newest first", "Oldest first", "Expiring soonest", "Largest first"],
            Engine.Cache.Store.Orders().Select(CacheBrowser.OrderLabel));

        await cut.InvokeAsync(() => select.Instance.ValueChanged.InvokeAsync(CacheOrder.Size));
        cut.WaitForAssertion(() => Assert.Equal("User.3", Keys(cut)[0]));
        Assert.Equal(4, Keys(cut).Count);

        await cut.InvokeAsync(() => select.Instance.ValueChanged.InvokeAsync(CacheOrder.Ttl));
        cut.WaitForAssertion(() => Assert.Equal(["User.1", "User.2", "Team.1", "User.3"], Keys(cut)));
    }

    [Fact]
    public async Task NodesPanel_ShowsThisNode_WithItsKeyCount()
    {
        await SeedAsync();

        var cut = RenderWithProviders<CacheBrowser>();

        var node = Assert.Single(cut.FindAll("[data-testid=cache-node]"));
        Assert.Contains("this node", node.TextContent, StringComparison.Ordinal);
        Assert.Contains("3 keys held", node.TextContent, StringComparison.Ordinal);
        Assert.Contains("Memory backend", cut.Find("[data-testid=cache-nodes]").TextContent, StringComparison.Ordinal);
    }

    [Fact]
    public async Task SelectingAKey_ShowsItsFormattedJson_InTheDetailPanel()
    {
        await SeedAsync();
        var cut = RenderWithProviders<CacheBrowser>();
        Assert.Equal("Team.1", cut.Find("[data-testid=cache-detail-key]").TextContent);

        await cut.InvokeAsync(() => cut.Find("[data-key='User.2']").Click());

        Assert.Equal("User.2", cut.Find("[data-testid=cache-detail-key]").TextContent);
        Assert.Contains("\n  \"name\": \"Bob\"", cut.Find("[data-testid=cache-detail-json]").TextContent, StringComparison.Ordinal);
        Assert.Equal("5:00", cut.Find("[data-testid=cache-detail-ttl]").TextContent);
    }

    [Fact]
    public async Task MarkupInAName_IsShownAsTyped_AndRenderedAsText()
    {
        const string name = "<script>alert(1)</script><b>x</b>";
        await Engine.Generic.SetAsync(3, new User { Name = name });
        await Engine.Generic.GetAsync<User>(3);

        var cut = RenderWithProviders<CacheBrowser>();

        Assert.Contains($"\"name\": \"{name}\"", cut.Find("[data-testid=cache-detail-json]").TextContent, StringComparison.Ordinal);
        Assert.Contains(name, cut.Find("[data-testid=cache-value]").TextContent, StringComparison.Ordinal);
        Assert.Empty(cut.FindAll("[data-testid=cache-detail] script, [data-testid=cache-detail] b, [data-testid=cache-table] script, [data-testid=cache-table] td b"));
    }

    [Fact]
    public async Task Filter_ByTextAndByType_NarrowsTheKeys()
    {
        await SeedAsync();
        var cut = RenderWithProviders<CacheBrowser>();

        await cut.InvokeAsync(() => cut.Find("input[data-testid=cache-filter]").Input("user.2"));
        cut.WaitForAssertion(() => Assert.Equal(["User.2"], Keys(cut)));

        await cut.InvokeAsync(() => cut.Find("input[data-testid=cache-filter]").Input(""));
        Assert.Equal(["All types", "Team (1)", "User (2)"], cut.FindAll("[data-testid=cache-type] .mud-toggle-item").Select(b => b.TextContent.Trim()));
        await cut.InvokeAsync(() => cut.FindAll("[data-testid=cache-type] .mud-toggle-item").First(b => b.TextContent.Contains("Team", StringComparison.Ordinal)).Click());
        cut.WaitForAssertion(() => Assert.Equal(["Team.1"], Keys(cut)));
    }

    [Fact]
    public async Task Paging_ShowsFiftyKeysAPage_InKeyOrder_NextAndPreviousWalkThePages()
    {
        for (var id = 100; id < 220; id++)
        {
            await Engine.Cache.GetAsync<User, int>(CacheKeys.For<User>(id), id, static (i, _) => Task.FromResult<User?>(new User { Id = i, Name = $"u{i}" }));
        }

        var cut = RenderWithProviders<CacheBrowser>();
        Assert.Equal(Enumerable.Range(100, 50).Select(i => $"User.{i}"), Keys(cut));
        Assert.True(cut.Find("[data-testid=cache-prev]").HasAttribute("disabled"));

        await cut.InvokeAsync(() => cut.Find("[data-testid=cache-next]").Click());
        cut.WaitForAssertion(() => Assert.Equal(Enumerable.Range(150, 50).Select(i => $"User.{i}"), Keys(cut)));
        await cut.InvokeAsync(() => cut.Find("[data-testid=cache-next]").Click());
        cut.WaitForAssertion(() => Assert.Equal(Enumerable.Range(200, 20).Select(i => $"User.{i}"), Keys(cut)));
        Assert.True(cut.Find("[data-testid=cache-next]").HasAttribute("disabled"));
        Assert.Contains("page 3 · 20 shown · 120 keys", cut.Find("[data-testid=cache-count]").TextContent, StringComparison.Ordinal);

        await cut.InvokeAsync(() => cut.Find("[data-testid=cache-prev]").Click());
        cut.WaitForAssertion(() => Assert.Equal(Enumerable.Range(150, 50).Select(i => $"User.{i}"), Keys(cut)));
    }

    [Fact]
    public async Task HottestKeys_ListTheMostReadKeysOfTheLastMinute_AndFilterOnClick()
    {
        await SeedAsync();
        var cut = RenderWithProviders<CacheBrowser>();
        for (var i = 0; i < 5; i++)
        {
            await Engine.Generic.GetAsync<User>(2);
        }

        await Engine.Generic.GetAsync<User>(1);

        cut.WaitForAssertion(() => Assert.Equal(
            ["User.2", "User.1"],
            cut.FindAll("[data-testid=hot-key]").Select(k => k.GetAttribute("data-key"))));
        Assert.Contains("5 hits", cut.FindAll("[data-testid=hot-key]")[0].TextContent, StringComparison.Ordinal);

        await cut.InvokeAsync(() => cut.Find("[data-testid=hot-key] a").Click());
        cut.WaitForAssertion(() => Assert.Equal(["User.2"], Keys(cut)));
    }

    [Fact]
    public async Task Invalidate_OneKey_RemovesIt_AndRecordsInvalidate()
    {
        await SeedAsync();
        var cut = RenderWithProviders<CacheBrowser>();

        await cut.InvokeAsync(() => cut.Find("[data-key='User.2'] [data-testid=invalidate-key]").Click());

        cut.WaitForAssertion(() => Assert.Equal(["Team.1", "User.1"], Keys(cut)));
        var last = Engine.Journal.Latest(1)[0];
        Assert.Equal((CacheEventKind.Invalidate, "User.2", "dashboard"), (last.Kind, last.Key, last.Source));
    }

    [Fact]
    public async Task Flush_AsksFirst_CancelKeepsEverything_ConfirmRemovesEverything()
    {
        await SeedAsync();
        var dialogs = RenderDialogProvider();
        var cut = RenderWithProviders<CacheBrowser>();

        await cut.InvokeAsync(() => cut.Find("[data-testid=cache-flush]").Click());
        dialogs.WaitForAssertion(() => Assert.Contains("Remove all 3 keys", dialogs.Find("[data-testid=confirm-message]").TextContent, StringComparison.Ordinal));
        await dialogs.InvokeAsync(() => dialogs.Find("[data-testid=confirm-cancel]").Click());
        dialogs.WaitForAssertion(() => Assert.Empty(dialogs.FindAll("[data-testid=confirm-message]")));
        Assert.Equal(3, Engine.Cache.Store.Count);

        await cut.InvokeAsync(() => cut.Find("[data-testid=cache-flush]").Click());
        dialogs.WaitForAssertion(() => dialogs.Find("[data-testid=confirm-ok]"));
        await dialogs.InvokeAsync(() => dialogs.Find("[data-testid=confirm-ok]").Click());

        cut.WaitForAssertion(() =>
        {
            Assert.Equal(0, Engine.Cache.Store.Count);
            Assert.Equal("The cache is empty.", cut.Find("[data-testid=cache-table-empty]").TextContent);
            Assert.Contains("Flushed 3 keys", cut.Find("[data-testid=cache-message]").TextContent, StringComparison.Ordinal);
        });
    }

    [Fact]
    public async Task KeyPopulatedElsewhere_AppearsLive()
    {
        var cut = RenderWithProviders<CacheBrowser>();
        Assert.Single(cut.FindAll("[data-testid=cache-table-empty]"));
        Assert.Empty(cut.FindAll("[data-testid=cache-row]"));

        await Engine.Generic.SetAsync(5, new User { Name = "Eve" });
        await Engine.Generic.GetAsync<User>(5);

        cut.WaitForAssertion(() => Assert.Equal(["User.5"], Keys(cut)));
    }
}
