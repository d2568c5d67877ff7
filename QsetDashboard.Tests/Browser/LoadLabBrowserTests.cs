using Microsoft.Playwright;
using QsetDashboard.Tests.Infrastructure;

namespace QsetDashboard.Tests.Browser;

/// <summary>The load lab in real Chromium over the real app: a run's live updates reach the page over the circuit.</summary>
public sealed class LoadLabBrowserTests
{
    private const string Chromium = "/usr/bin/chromium";

    [Fact]
    public async Task LoadLab_RunsToCompletion_WithLiveProgress_AndThePageStaysResponsive()
    {
        Assert.True(File.Exists(Chromium), $"Chromium is needed at {Chromium}: install it with `sudo apt-get install -y chromium` (test.sh does).");
        using var app = new AppHost();
        using var playwright = await Playwright.CreateAsync();
        await using var browser = await playwright.Chromium.LaunchAsync(new() { ExecutablePath = Chromium, Headless = true });
        var page = await browser.NewPageAsync(new() { BaseURL = app.BaseAddress.ToString() });

        await page.GotoAsync("/load");
        var start = page.GetByTestId("load-start");
        await Assertions.Expect(start).ToBeEnabledAsync(new() { Timeout = 20_000 });
        await page.Locator("#load-clients").FillAsync("2");
        await page.Locator("#load-duration").FillAsync("3");
        await page.Locator("#load-keys").FillAsync("50");
        await start.ClickAsync();

        // Live: the status shows the run's progress while it runs, and the rest of the page still answers clicks.
        await Assertions.Expect(page.GetByTestId("load-status")).ToContainTextAsync("Running:", new() { Timeout = 20_000 });
        await page.GetByTestId("theme-toggle").ClickAsync();
        await Assertions.Expect(page.GetByTestId("load-status")).ToContainTextAsync("Running:");

        await Assertions.Expect(page.GetByTestId("load-status")).ToContainTextAsync("Completed.", new() { Timeout = 30_000 });
        await Assertions.Expect(page.GetByTestId("load-result")).ToContainTextAsync("completed after");
        var points = await page.Locator("[data-testid=chart-hits] polyline").GetAttributeAsync("points");
        Assert.True((points ?? "").Trim().Split(' ').Length >= 4, $"the hit-ratio chart has a point per snapshot: '{points}'");
    }
}
