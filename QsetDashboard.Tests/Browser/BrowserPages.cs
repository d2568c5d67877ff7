using Microsoft.Playwright;
using static Microsoft.Playwright.Assertions;

namespace QsetDashboard.Tests.Browser;

/// <summary>The few page moves the browser tests share.</summary>
internal static class BrowserPages
{
    /// <summary>Opens <paramref name="path"/> and waits until the Blazor circuit is live, so clicks are handled.</summary>
    public static async Task OpenAsync(this IPage page, string path)
    {
        await page.GotoAsync(path);
        await Expect(page.Locator("[data-interactive]")).ToHaveAttributeAsync("data-interactive", "true", new() { Timeout = 15_000 });
    }

    /// <summary>Switches to dark mode and waits until the page background has changed.</summary>
    public static async Task ToggleDarkAsync(this IPage page)
    {
        var before = await page.EvaluateAsync<string>("() => getComputedStyle(document.body).backgroundColor");
        await page.ClickAsync("[data-testid=theme-toggle]");
        await page.WaitForFunctionAsync("b => getComputedStyle(document.body).backgroundColor !== b", before);

        // Away from the toggle, so its tooltip is not in the screenshot.
        await page.Mouse.MoveAsync(1270, 710);
    }

    /// <summary>
    /// Where screenshots go: the test output by default, so a test run leaves the checkout as it found it; the
    /// README's pictures in <c>wwwroot-assets/screenshots</c> only when <c>UPDATE_SCREENSHOTS=1</c> asks for them.
    /// </summary>
    public static string ScreenshotFolder() =>
        Environment.GetEnvironmentVariable("UPDATE_SCREENSHOTS") == "1"
            ? Path.Combine(RepositoryRoot(), "wwwroot-assets", "screenshots")
            : Path.Combine(AppContext.BaseDirectory, "screenshots");

    /// <summary>The repository root, found by walking up from the test binaries to QsetDashboard.sln.</summary>
    public static string RepositoryRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "QsetDashboard.sln")))
            {
                return dir.FullName;
            }
        }

        throw new InvalidOperationException($"No QsetDashboard.sln above {AppContext.BaseDirectory}.");
    }
}
