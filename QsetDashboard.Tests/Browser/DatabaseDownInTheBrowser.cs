using Microsoft.Playwright;
using QsetDashboard.Tests.Infrastructure;
using static Microsoft.Playwright.Assertions;

namespace QsetDashboard.Tests.Browser;

/// <summary>
/// Fail-safe as a new user meets it: the app started as the README says (fail-safe on from its settings), the
/// database-down demo run in the browser: the read while the database is down is STALE and says why, the read after
/// it is back is fresh, and the Overview counts the stale read.
/// </summary>
internal static class DatabaseDownInTheBrowser
{
    public static async Task AssertAsync(IBrowser browser, AppProcess app)
    {
        var page = await BrowserFixture.NewPageAsync(browser, app.BaseAddress);
        try
        {
            var wait = new LocatorAssertionsToContainTextOptions { Timeout = 30_000 };
            await page.OpenAsync("/demos/database-down");
            var runAll = page.Locator("[data-testid=demo-run-all]");
            await Expect(runAll).ToBeEnabledAsync(new LocatorAssertionsToBeEnabledOptions { Timeout = 30_000 });
            await runAll.ClickAsync();

            var transcript = page.Locator("[data-testid=demo-transcript]");
            await Expect(transcript).ToContainTextAsync("CACHE STALE key=User.1", wait);
            await Expect(transcript).ToContainTextAsync("Got User id=1 name=Alice (STALE: the database read failed (Connection refused)", wait);
            await Expect(transcript).ToContainTextAsync("The database comes back", wait);

            // The demo's last step is a fresh read: MISS, POPULATE, then the name.
            await Expect(transcript.Locator("text=Got User id=1 name=Alice").Last).ToBeVisibleAsync(new LocatorAssertionsToBeVisibleOptions { Timeout = 30_000 });

            await page.OpenAsync("/");
            await Expect(page.Locator(".qset-kind-total[data-kind=STALE] [data-testid=kind-total]")).Not.ToHaveTextAsync("0", new LocatorAssertionsToHaveTextOptions { Timeout = 30_000 });
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
