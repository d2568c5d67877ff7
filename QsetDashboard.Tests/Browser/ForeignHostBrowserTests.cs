using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Playwright;
using Qset.Caching;
using QsetDashboard.Tests.Infrastructure;
using QsetDashboard.Tests.Foreign;
using static Microsoft.Playwright.Assertions;

namespace QsetDashboard.Tests.Browser;

/// <summary>The dashboard at <c>/qset</c> of a host that is not ours, in Chromium: styled, live, and acting on the host's cache.</summary>
public sealed class ForeignHostBrowserTests(ChromiumFixture chromium) : IClassFixture<ChromiumFixture>
{
    [Fact]
    public async Task UnderQset_TheCachePageIsStyledAndLive_ListsTheHostsEntities_AndInvalidatesOne()
    {
        await using var host = await ForeignWebHost.StartAsync(blazorHost: true);
        var id = Guid.NewGuid();
        await using (var db = await host.Services.GetRequiredService<IDbContextFactory<ShopDb>>().CreateDbContextAsync())
        {
            db.Products.Add(new Product { Id = id, Name = "Teapot" });
            await db.SaveChangesAsync();
        }

        var key = host.Services.GetRequiredService<EntityCache<ShopDb>>().KeyOf<Product>(id);
        await host.Services.GetRequiredService<EntityCache<ShopDb>>().FindAsync<Product>(id);

        var page = await BrowserFixture.NewPageAsync(chromium.Browser, host.LoopbackAddress);
        var failed = new List<string>();
        page.Response += (_, response) =>
        {
            if (response.Status >= 400)
            {
                failed.Add($"{response.Status} {response.Url}");
            }
        };
        await page.OpenAsync("/qset/cache");

        var row = page.Locator($"[data-testid=cache-row][data-key='{key}']");
        await Expect(row).ToHaveCountAsync(1);
        await row.ClickAsync();
        await Expect(page.Locator("[data-testid=cache-detail-json]")).ToContainTextAsync("\"name\": \"Teapot\"");

        // MudBlazor's stylesheet applied: the app bar is a fixed bar, not unstyled text.
        Assert.Equal("fixed", await page.Locator(".mud-appbar").EvaluateAsync<string>("e => getComputedStyle(e).position"));

        await row.Locator("[data-testid=invalidate-key]").ClickAsync();
        await Expect(row).ToHaveCountAsync(0);
        Assert.Null(await host.Services.GetRequiredService<QsetCache>().Store.PeekAsync(key));

        // A link of the dashboard stays under the mount.
        await page.ClickAsync("a[href='events']");
        await Expect(page).ToHaveURLAsync(new Uri(host.LoopbackAddress, "/qset/events").ToString());
        Assert.Empty(failed);
        await page.Context.CloseAsync();
    }
}
