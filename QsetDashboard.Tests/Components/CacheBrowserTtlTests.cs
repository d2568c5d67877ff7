using Bunit;
using Microsoft.Extensions.Time.Testing;
using Qset.Dashboard.Components.Pages;
using QsetDashboard.Components.Pages;
using QsetDashboard.Data;

namespace QsetDashboard.Tests.Components;

/// <summary>The TTL countdown over a fake clock: it moves with time alone, without any cache event.</summary>
public sealed class CacheBrowserTtlTests : DashboardTestContext
{
    private readonly FakeTimeProvider _time = new(new DateTimeOffset(2026, 11, 24, 0, 0, 0, TimeSpan.Zero));

    protected override TimeProvider? CreateTimeProvider() => _time;

    protected override void ConfigureEngine(Dictionary<string, string?> settings) =>
        settings["Cache:ExpirationScanInterval"] = "00:10:00";

    [Fact]
    public async Task TtlCountdown_TicksDownAsTheClockMoves()
    {
        await Engine.Generic.SetAsync(1, new User { Name = "Alice" });
        await Engine.Generic.GetAsync<User>(1);
        var cut = RenderWithProviders<CacheBrowser>();
        Assert.Equal("5:00", cut.Find("[data-testid=cache-ttl]").TextContent);

        _time.Advance(TimeSpan.FromSeconds(30));

        cut.WaitForAssertion(() => Assert.Equal("4:30", cut.Find("[data-testid=cache-ttl]").TextContent));
    }

    [Fact]
    public async Task LiveRefresh_WithoutNews_OnlyMovesTheCountdown_AndNewsReloadsThePageAtMostOnceASecond()
    {
        await Engine.Generic.SetAsync(1, new User { Name = "Alice" });
        await Engine.Generic.GetAsync<User>(1);
        var cut = RenderWithProviders<CacheBrowser>();

        // The first load, then one more to settle (a reload that had news is followed by one more).
        cut.WaitForAssertion(() => Assert.True(cut.Instance.Reloads >= 2));
        var reloads = cut.Instance.Reloads;

        for (var second = 0; second < 3; second++)
        {
            _time.Advance(TimeSpan.FromSeconds(1));
        }

        cut.WaitForAssertion(() => Assert.Equal("4:57", cut.Find("[data-testid=cache-ttl]").TextContent));
        Assert.Equal(reloads, cut.Instance.Reloads);

        // News: the next refresh, a second after the last, reloads the page.
        await Engine.Generic.SetAsync(2, new User { Name = "Bob" });
        await Engine.Generic.GetAsync<User>(2);
        _time.Advance(TimeSpan.FromSeconds(1));
        cut.WaitForAssertion(() => Assert.Equal(2, Rows(cut)));
        var afterNews = cut.Instance.Reloads;

        // A burst in the same second waits for the next one, and reloads once.
        for (var id = 3; id <= 22; id++)
        {
            await Engine.Generic.SetAsync(id, new User { Name = $"user {id}" });
            await Engine.Generic.GetAsync<User>(id);
        }

        Assert.Equal(2, Rows(cut));
        Assert.Equal(afterNews, cut.Instance.Reloads);
        _time.Advance(TimeSpan.FromSeconds(1));
        cut.WaitForAssertion(() => Assert.Equal(22, Rows(cut)));
        Assert.Equal(afterNews + 1, cut.Instance.Reloads);
    }

    private static int Rows(IRenderedComponent<CacheBrowser> cut) => cut.FindAll("[data-testid=cache-table] [data-testid=cache-row]").Count;
}
