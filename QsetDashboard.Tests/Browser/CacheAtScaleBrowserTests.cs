using Microsoft.Extensions.DependencyInjection;
using Microsoft.Playwright;
using Qset.Caching;
using QsetDashboard.Data;
using QsetDashboard.Tests.Infrastructure;
using static Microsoft.Playwright.Assertions;

namespace QsetDashboard.Tests.Browser;

/// <summary>The Cache page over 100,000 entries put straight into the store: it shows a page, not the store.</summary>
public sealed class CacheAtScaleBrowserTests(ChromiumFixture chromium) : IClassFixture<ChromiumFixture>
{
    private const int Entries = 100_000;

    [Fact]
    public async Task HundredThousandKeys_TheCachePage_PagesFiltersAndOpensAValue_WithOnlyAPageInTheDom()
    {
        using var app = new AppHost(new Dictionary<string, string?> { ["Cache:Capacity"] = "200000", ["Cache:DefaultTtl"] = "01:00:00" });
        var cache = app.Services.GetRequiredService<QsetCache>();
        for (var id = 1; id <= Entries; id++)
        {
            await cache.GetAsync<User, int>(CacheKeys.For<User>(id), id, static (i, _) => Task.FromResult<User?>(new User { Id = i, Name = $"user {i}" }));
        }

        Assert.Equal(Entries, cache.Store.Count);
        using (var client = new HttpClient { BaseAddress = app.BaseAddress })
        {
            var html = await client.GetStringAsync("/cache");
            Assert.True(html.Length < 500_000, $"the prerendered page is {html.Length:N0} characters");
        }

        var page = await BrowserFixture.NewPageAsync(chromium.Browser, app.BaseAddress);
        await page.OpenAsync("/cache");
        var rows = page.Locator("[data-testid=cache-table] [data-testid=cache-row]");
        await Expect(rows).ToHaveCountAsync(50);
        await Expect(rows.First).ToHaveAttributeAsync("data-key", "User.1");
        await Expect(page.Locator("[data-testid=cache-count]")).ToContainTextAsync("100,000 keys");

        await page.ClickAsync("[data-testid=cache-next]");
        await Expect(page.Locator("[data-testid=cache-count]")).ToContainTextAsync("page 2");
        await Expect(rows).ToHaveCountAsync(50);
        Assert.NotEqual("User.1", await rows.First.GetAttributeAsync("data-key"));

        await page.FillAsync("input[data-testid=cache-filter]", "user.99999");
        await Expect(rows).ToHaveCountAsync(1);
        await Expect(rows.First).ToHaveAttributeAsync("data-key", "User.99999");
        await rows.First.ClickAsync();
        await Expect(page.Locator("[data-testid=cache-detail-json]")).ToContainTextAsync("\"name\": \"user 99999\"");
        Assert.InRange(await page.Locator("[data-testid=cache-row]").CountAsync(), 1, 50);

        // Sorted by age on the server: the newest key first, a page at a time.
        await page.FillAsync("input[data-testid=cache-filter]", "");
        await Expect(rows).ToHaveCountAsync(50);
        await page.ClickAsync("[data-testid=cache-sort]");
        await page.GetByText("Newest first").ClickAsync();
        await Expect(rows.First).ToHaveAttributeAsync("data-key", $"User.{Entries}");
        await Expect(rows.Nth(1)).ToHaveAttributeAsync("data-key", $"User.{Entries - 1}");
        await page.ClickAsync("[data-testid=cache-next]");
        await Expect(rows.First).ToHaveAttributeAsync("data-key", $"User.{Entries - 50}");

        // By size and by TTL, from orders the store builds when first asked for: the longest name, then the soonest expiry.
        await page.ClickAsync("[data-testid=cache-sort]");
        await page.GetByText("Largest first").ClickAsync();
        await Expect(rows.First).ToHaveAttributeAsync("data-key", $"User.{Entries}");
        await Expect(rows).ToHaveCountAsync(50);
        await page.ClickAsync("[data-testid=cache-sort]");
        await page.GetByText("Expiring soonest").ClickAsync();
        await Expect(rows.First).ToHaveAttributeAsync("data-key", "User.1");
        await Expect(rows.Nth(1)).ToHaveAttributeAsync("data-key", "User.2");
        await page.ClickAsync("[data-testid=cache-next]");
        await Expect(rows.First).ToHaveAttributeAsync("data-key", "User.51");
        await page.Context.CloseAsync();
    }
}
