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
}
