using Microsoft.Playwright;
using QsetDashboard.Tests.Infrastructure;

namespace QsetDashboard.Tests.Browser;

/// <summary>
/// One real app on a free loopback port and one headless Debian Chromium, shared by a test class; each test
/// opens its own pages. Playwright's own browser download cannot work here, so the system Chromium is required.
/// </summary>
public sealed class BrowserFixture : IAsyncLifetime
{
    public const string ChromiumPath = "/usr/bin/chromium";

    private IPlaywright? _playwright;

    public AppHost App { get; private set; } = null!;

    public IBrowser Browser { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        App = new AppHost();
        _playwright = await Playwright.CreateAsync();
        Browser = await LaunchAsync(_playwright);
    }

    public async Task DisposeAsync()
    {
        if (Browser is not null)
        {
            await Browser.CloseAsync();
        }

        _playwright?.Dispose();
        App?.Dispose();
    }

    /// <summary>Launches the system Chromium with the options that work in a container.</summary>
    /// <exception cref="InvalidOperationException">Chromium is not installed; the message says how to install it.</exception>
    public static Task<IBrowser> LaunchAsync(IPlaywright playwright)
    {
        if (!File.Exists(ChromiumPath))
        {
            throw new InvalidOperationException(
                $"The browser tests need Debian's Chromium at {ChromiumPath}. Install it with: sudo apt-get install -y chromium (./test.sh does).");
        }

        return playwright.Chromium.LaunchAsync(new BrowserTypeLaunchOptions
        {
            ExecutablePath = ChromiumPath,
            Headless = true,
            Args = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update", "--disable-sync"],
        });
    }

    /// <summary>A fresh page at 1280×720 (the size the dashboard is designed for) on this fixture's app.</summary>
    public Task<IPage> NewPageAsync(IBrowser? browser = null) => NewPageAsync(browser ?? Browser, App.BaseAddress);

    /// <summary>A fresh page, in a context of its own, at 1280×720 on the app at <paramref name="baseAddress"/>.</summary>
    public static async Task<IPage> NewPageAsync(IBrowser browser, Uri baseAddress)
    {
        ArgumentNullException.ThrowIfNull(browser);
        var context = await browser.NewContextAsync(new BrowserNewContextOptions
        {
            ViewportSize = new ViewportSize { Width = 1280, Height = 720 },
            BaseURL = baseAddress.ToString(),
        });
        return await context.NewPageAsync();
    }
}
