using System.Diagnostics;
using System.Globalization;
using System.Net;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Playwright;
using Qset.Caching;
using QsetDashboard.Data;

namespace QsetDashboard.Benchmarks;

/// <summary>
/// <c>dotnet run -c Release --project QsetDashboard.Benchmarks -- --cache-page [keys]</c>: the Cache page's targets at
/// scale (default 1,000,000 keys in the memory store), measured as a user meets them. The app runs on Kestrel in this
/// process; Debian's Chromium opens the page. A measurement, not a test: it prints the figures beside the targets.
/// </summary>
internal static class CachePageAtScale
{
    private const string Chromium = "/usr/bin/chromium";

    public static async Task<int> RunAsync(int keys)
    {
        var folder = Path.Combine(Path.GetTempPath(), "qset-scale", Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(folder);
        try
        {
            using var app = new ScaleHost(new Dictionary<string, string?>
            {
                ["ConnectionStrings:Qsets"] = $"Data Source={Path.Combine(folder, "qsets.db")};Pooling=False",
                ["Cache:Capacity"] = keys.ToString(CultureInfo.InvariantCulture),
                ["Cache:DefaultTtl"] = "01:00:00",
                ["Logging:LogLevel:Default"] = "Warning",
                ["Logging:LogLevel:Qset.Caching.CacheRecorder"] = "Warning",
            });
            var cache = app.Services.GetRequiredService<QsetCache>();
            var fill = Stopwatch.StartNew();
            for (var id = 1; id <= keys; id++)
            {
                await cache.GetAsync<User, int>(CacheKeys.For<User>(id), id, static (i, _) => Task.FromResult<User?>(new User { Id = i, Name = $"user {i}" }));
            }

            Console.WriteLine($"Filled {cache.Store.Count:N0} keys in {fill.Elapsed.TotalSeconds:N1} s; GC heap {GC.GetTotalMemory(forceFullCollection: true) / 1_048_576:N0} MB.");
            List<(string What, string Target, string Measured)> rows = [];

            using var http = new HttpClient { BaseAddress = app.Address };
            var prerender = Stopwatch.StartNew();
            var html = await http.GetStringAsync("/cache");
            rows.Add(("Prerendered HTML of /cache", "≤ 0.5 MB", $"{html.Length / 1024.0:N0} KB in {prerender.ElapsedMilliseconds:N0} ms"));

            using var playwright = await Playwright.CreateAsync();
            await using var browser = await playwright.Chromium.LaunchAsync(new BrowserTypeLaunchOptions
            {
                ExecutablePath = Chromium,
                Headless = true,
                Args = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update", "--disable-sync"],
            });
            var page = await browser.NewPageAsync(new BrowserNewPageOptions { BaseURL = app.Address.ToString(), ViewportSize = new ViewportSize { Width = 1280, Height = 720 } });
            var rowsLocator = page.Locator("[data-testid=cache-table] [data-testid=cache-row]");

            var firstKey = Stopwatch.StartNew();
            await page.GotoAsync("/cache", new PageGotoOptions { WaitUntil = WaitUntilState.Commit });
            await rowsLocator.First.WaitForAsync();
            rows.Add(("First key on screen", "≤ 2 s", $"{firstKey.ElapsedMilliseconds:N0} ms"));
            await page.Locator("[data-interactive=true]").WaitForAsync(new LocatorWaitForOptions { Timeout = 30_000 });
            rows.Add(("Rows in the DOM", "≤ 1,000", $"{await page.Locator("tr").CountAsync():N0}"));

            // The last key in key order (User.999999 of a million): a filter scans the most keys to find it.
            var wanted = CacheKeys.For<User>(Enumerable.Range(1, keys).MaxBy(i => i.ToString(CultureInfo.InvariantCulture), StringComparer.Ordinal));
            var filter = Stopwatch.StartNew();
            await page.FillAsync("input[data-testid=cache-filter]", wanted.ToLowerInvariant());
            await page.Locator($"[data-testid=cache-row][data-key='{wanted}']").WaitForAsync(new LocatorWaitForOptions { Timeout = 60_000 });
            rows.Add(($"A filter that finds one key ({wanted}, the last in key order)", "≤ 1 s", $"{filter.ElapsedMilliseconds:N0} ms"));

            await page.FillAsync("input[data-testid=cache-filter]", "");
            await page.Locator("[data-testid=cache-count]").Filter(new LocatorFilterOptions { HasText = "page 1 · 50 shown" }).WaitForAsync();
            var next = Stopwatch.StartNew();
            await page.ClickAsync("[data-testid=cache-next]");
            await page.Locator("[data-testid=cache-count]").Filter(new LocatorFilterOptions { HasText = "page 2" }).WaitForAsync();
            rows.Add(("Next page", "≤ 300 ms", $"{next.ElapsedMilliseconds:N0} ms"));

            // Sorted by TTL, then by size: the first page of each waits for the store to build that order (the first
            // time it is asked for); the next page pages it. Same TTL for all, so by TTL is by insertion; by size, the
            // longest ids (and names) first, then insertion order.
            var bySize = Enumerable.Range(1, keys).OrderByDescending(i => i.ToString(CultureInfo.InvariantCulture).Length).ThenBy(i => i).Take(51).ToArray();
            foreach (var (label, name, first, second, nextFirst) in new[]
            {
                ("Expiring soonest", "TTL", 1, 2, 51),
                ("Largest first", "size", bySize[0], bySize[1], bySize[50]),
            })
            {
                var sort = Stopwatch.StartNew();
                await page.ClickAsync("[data-testid=cache-sort]");
                await page.GetByText(label).ClickAsync();
                await page.Locator($"[data-testid=cache-row][data-key='User.{second}']").WaitForAsync(new LocatorWaitForOptions { Timeout = 120_000 });
                await page.Locator($"[data-testid=cache-row][data-key='User.{first}']").WaitForAsync();
                rows.Add(($"Sort by {name}, first time (the store builds the order)", "—", $"{sort.ElapsedMilliseconds:N0} ms"));
                var sortedNext = Stopwatch.StartNew();
                await page.ClickAsync("[data-testid=cache-next]");
                await page.Locator($"[data-testid=cache-row][data-key='User.{nextFirst}']").WaitForAsync();
                rows.Add(($"Next page by {name}", "≤ 300 ms", $"{sortedNext.ElapsedMilliseconds:N0} ms"));
            }

            // What one open tab costs the server while the cache churns at 10,000 operations a second: the process's
            // CPU with the tab open, less without it, over the same churn.
            var phase = TimeSpan.FromSeconds(15);
            await page.GotoAsync("about:blank");
            var without = await ChurnAsync(cache, keys, phase);
            await page.GotoAsync("/cache");
            await page.Locator("[data-interactive=true]").WaitForAsync(new LocatorWaitForOptions { Timeout = 30_000 });
            var withTab = await ChurnAsync(cache, keys, phase);
            await page.CloseAsync();
            var alone = await ChurnAsync(cache, keys, phase);
            var tab = withTab - (without + alone) / 2;
            rows.Add(("One open tab, cache churning at 10,000 ops/s", "≤ 5% of a core",
                $"{tab:P1} of a core (process {withTab:P0} with the tab, {(without + alone) / 2:P0} without)"));

            Console.WriteLine();
            Console.WriteLine($"| Cache page, {keys:N0} keys in the memory store | Target | Measured |");
            Console.WriteLine("| --- | --- | --- |");
            foreach (var (what, target, measured) in rows)
            {
                Console.WriteLine($"| {what} | {target} | {measured} |");
            }

            return 0;
        }
        finally
        {
            try
            {
                Directory.Delete(folder, recursive: true);
            }
            catch (IOException)
            {
                // A file still held; the OS temp cleaner takes it.
            }
        }
    }

    /// <summary>Misses, populates and evictions at 10,000 a second for <paramref name="duration"/>; the process's CPU use, in cores.</summary>
    private static async Task<double> ChurnAsync(QsetCache cache, int keys, TimeSpan duration)
    {
        var process = Process.GetCurrentProcess();
        var cpu = process.TotalProcessorTime;
        var clock = Stopwatch.StartNew();
        using var timer = new PeriodicTimer(TimeSpan.FromMilliseconds(10));
        var id = keys;
        while (clock.Elapsed < duration && await timer.WaitForNextTickAsync())
        {
            for (var i = 0; i < 100; i++)
            {
                var key = ++id;
                await cache.GetAsync<User, int>(CacheKeys.For<User>(key), key, static (k, _) => Task.FromResult<User?>(new User { Id = k, Name = $"churn {k}" }));
            }
        }

        process.Refresh();
        return (process.TotalProcessorTime - cpu).TotalSeconds / clock.Elapsed.TotalSeconds;
    }

    /// <summary>The sample app on Kestrel, on a free loopback port, configured from the command line's settings.</summary>
    // Any type of the app's assembly names its entry point; this project has a Program of its own.
    private sealed class ScaleHost : WebApplicationFactory<QsetsDbContext>
    {
        private readonly IDictionary<string, string?> _settings;

        public ScaleHost(IDictionary<string, string?> settings)
        {
            _settings = settings;
            UseKestrel(options => options.Listen(IPAddress.Loopback, 0));
            StartServer();
        }

        public Uri Address => new($"http://127.0.0.1:{ClientOptions.BaseAddress.Port}/");

        protected override void ConfigureWebHost(IWebHostBuilder builder)
        {
            foreach (var (key, value) in _settings)
            {
                builder.UseSetting(key, value);
            }

            builder.UseEnvironment("Production");
        }
    }
}
