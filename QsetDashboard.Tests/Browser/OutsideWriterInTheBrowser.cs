using Microsoft.Playwright;
using QsetDashboard.Tests.Infrastructure;
using static Microsoft.Playwright.Assertions;

namespace QsetDashboard.Tests.Browser;

/// <summary>
/// The change feed as a new user meets it: the app started as the README says (the feed on from its settings), the
/// Overview says the feed is live, and the outside-writer demo, run in the browser, shows the database's INVALIDATE
/// and a fresh read after a plain-SQL write from another connection.
/// </summary>
internal static class OutsideWriterInTheBrowser
{
    public static async Task AssertAsync(IBrowser browser, AppProcess app)
    {
        var page = await BrowserFixture.NewPageAsync(browser, app.BaseAddress);
        try
        {
            var wait = new LocatorAssertionsToContainTextOptions { Timeout = 30_000 };
            await page.OpenAsync("/");
            await Expect(page.Locator("[data-testid=overview-feed]")).ToContainTextAsync("Database feed live", wait);

            await page.OpenAsync("/demos/outside-writer");
            var runAll = page.Locator("[data-testid=demo-run-all]");
            await Expect(runAll).ToBeEnabledAsync(new LocatorAssertionsToBeEnabledOptions { Timeout = 30_000 });
            await runAll.ClickAsync();

            var transcript = page.Locator("[data-testid=demo-transcript]");
            await Expect(transcript).ToContainTextAsync("CACHE INVALIDATE key=User.1 (source database: committed in the database: Users row 1 changed", wait);
            await Expect(transcript).ToContainTextAsync("Got User id=1 name=Mallory", wait);
        }
        catch (Exception ex) when (ex is PlaywrightException or Xunit.Sdk.XunitException)
        {
            var output = app.Output;
            throw new Xunit.Sdk.XunitException($"{ex.Message}\n--- the app's output (last 8,000 characters) ---\n{output[Math.Max(0, output.Length - 8_000)..]}");
        }
        finally
        {
            await page.Context.CloseAsync();
        }
    }
}
