using QsetDashboard.Tests.Infrastructure;
using Microsoft.Playwright;
using static Microsoft.Playwright.Assertions;

namespace QsetDashboard.Tests.Browser;

/// <summary>
/// What "the dashboard works" means to a new user, checked in a real browser against an app however it was
/// started: every asset the home page links arrives non-empty, and a demo's buttons drive the engine.
/// </summary>
internal static class WorkingDashboard
{
    private const string LinkedAssets = """
        () => [...document.querySelectorAll('link[rel~=stylesheet][href], link[rel~=icon][href], script[src], img[src]')]
            .map(e => e.href || e.src)
        """;

    /// <summary>As below, and on failure the app's own log joins the message: what the child process did meanwhile.</summary>
    public static async Task AssertAsync(IBrowser browser, AppProcess app)
    {
        try
        {
            await AssertAsync(browser, app.BaseAddress);
        }
        catch (Exception ex) when (ex is PlaywrightException or Xunit.Sdk.XunitException)
        {
            var output = app.Output;
            throw new Xunit.Sdk.XunitException($"{ex.Message}\n--- the app's output (last 8,000 characters) ---\n{output[Math.Max(0, output.Length - 8_000)..]}");
        }
    }

    public static async Task AssertAsync(IBrowser browser, Uri baseAddress)
    {
        var page = await BrowserFixture.NewPageAsync(browser, baseAddress);
        try
        {
            await AssertAssetsAsync(page);
            await AssertDemoStepsAsync(page);
        }
        finally
        {
            await page.Context.CloseAsync();
        }
    }

    private static async Task AssertAssetsAsync(IPage page)
    {
        var home = await page.GotoAsync("/");
        Assert.Equal(200, home!.Status);
        var assets = await page.EvaluateAsync<string[]>(LinkedAssets);

        // The icon, MudBlazor's stylesheet and script, our stylesheet, blazor.web.js and the logo at least.
        Assert.True(assets.Length >= 6, $"the home page links its assets: {string.Join(", ", assets)}");
        foreach (var url in assets.Distinct())
        {
            var response = await page.Context.APIRequest.GetAsync(url);
            var body = await response.BodyAsync();
            Assert.True(response.Status == 200 && body.Length > 0, $"{url} answered {response.Status} with {body.Length} bytes");
        }
    }

    private static async Task AssertDemoStepsAsync(IPage page)
    {
        await page.OpenAsync("/demos/cacheable");
        var progress = page.Locator("[data-testid=demo-progress]");
        var transcript = page.Locator("[data-testid=demo-transcript]");
        var next = page.Locator("[data-testid=demo-next]");

        // A child process on a CI machine busy with every other test (a cold Release build's first EF query among
        // them): a step waits for its turn, so allow it 30 s. A clean-clone run once saw the first step take over 15 s.
        var step = new LocatorAssertionsToHaveTextOptions { Timeout = 30_000 };
        await Expect(progress).ToHaveTextAsync("Step 0 of 8", step);
        await Expect(next).ToBeEnabledAsync(new LocatorAssertionsToBeEnabledOptions { Timeout = 30_000 });

        await next.ClickAsync();
        await Expect(progress).ToHaveTextAsync("Step 1 of 8", step);
        await Expect(transcript).ToContainTextAsync("Creating a team with id=1");

        // The button is disabled while a step runs; click it once the page says it is ready again.
        await Expect(next).ToBeEnabledAsync(new LocatorAssertionsToBeEnabledOptions { Timeout = 30_000 });
        await next.ClickAsync();
        await Expect(progress).ToHaveTextAsync("Step 2 of 8", step);
        await Expect(transcript).ToContainTextAsync("Got Team id=1 name=Dev");

        await page.OpenAsync("/cache");
        var row = page.Locator("[data-testid=cache-table] [data-key='Team.1']");
        await Expect(row).ToBeVisibleAsync();
        await Expect(row.Locator("[data-testid=cache-value]")).ToContainTextAsync("Dev");
    }
}
