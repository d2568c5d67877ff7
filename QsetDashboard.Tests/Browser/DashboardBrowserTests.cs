using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Playwright;
using Qset.Caching;
using QsetDashboard.Demos;
using QsetDashboard.Tests.Infrastructure;
using static Microsoft.Playwright.Assertions;

namespace QsetDashboard.Tests.Browser;

/// <summary>The dashboard in a real Chromium against the real app: demos, live updates across tabs, the token gate, screenshots.</summary>
public sealed class DashboardBrowserTests(BrowserFixture fixture) : IClassFixture<BrowserFixture>
{
    private const float LiveTimeout = 5_000;

    private QsetCache Cache => fixture.App.Services.GetRequiredService<QsetCache>();

    [Fact]
    public async Task EveryDemo_ClickedThroughWithNextStep_ShowsItsCacheTableAndTimeline()
    {
        var catalog = fixture.App.Services.GetRequiredService<DemoCatalog>();
        var page = await fixture.NewPageAsync();

        foreach (var scenario in catalog.All)
        {
            await page.OpenAsync($"/demos/{scenario.Name}");
            await page.ClickAsync("[data-testid=demo-reset]");
            await Expect(page.Locator("[data-testid=demo-progress]")).ToHaveTextAsync($"Step 0 of {scenario.Steps.Count}");

            for (var step = 1; step <= scenario.Steps.Count; step++)
            {
                await Expect(page.Locator("[data-testid=demo-step]").Nth(step - 1)).ToHaveAttributeAsync("data-state", "current");
                await page.ClickAsync("[data-testid=demo-next]");
                await Expect(page.Locator("[data-testid=demo-progress]")).ToHaveTextAsync($"Step {step} of {scenario.Steps.Count}");

                // The page agrees with the engine: the cached keys of the demo, and its newest event on top of the timeline.
                var cached = (await DemoKeys.HeldAsync(scenario, fixture.App.Services.GetRequiredService<Qset.Dashboard.Model.CacheView>())).Select(e => e.Key).ToArray();
                var rows = page.Locator("[data-testid=demo-cache] [data-testid=cache-key]");
                if (cached.Length == 0)
                {
                    await Expect(page.Locator("[data-testid=demo-cache-empty]")).ToBeVisibleAsync();
                }
                else
                {
                    await Expect(rows).ToHaveTextAsync(cached);
                }

                var newest = Cache.Journal.Latest(Cache.Journal.Capacity).First(e => e.Source == scenario.Name);
                var top = page.Locator("[data-testid=timeline-item]").First;
                await Expect(top).ToHaveAttributeAsync("data-kind", newest.Kind.Label());
                await Expect(top).ToHaveAttributeAsync("data-key", newest.Key);
            }

            await Expect(page.Locator("[data-testid=demo-next]")).ToBeDisabledAsync();
        }

        // The seed's generic run, half-way and at the end, in its own words.
        await page.OpenAsync("/demos/generic");
        await page.ClickAsync("[data-testid=demo-reset]");
        for (var step = 1; step <= 3; step++)
        {
            await page.ClickAsync("[data-testid=demo-next]");
            await Expect(page.Locator("[data-testid=demo-progress]")).ToHaveTextAsync($"Step {step} of 8");
        }

        await Expect(page.Locator("[data-testid=demo-cache] [data-testid=cache-value]")).ToContainTextAsync("\"name\": \"Alice\"");
        await Expect(page.Locator("[data-testid=timeline-item]").First).ToHaveAttributeAsync("data-kind", "HIT");
        await Expect(page.Locator("[data-testid=demo-transcript]")).ToContainTextAsync("  CACHE HIT key=User.1\nGot User id=1 name=Alice");
        await page.Context.CloseAsync();
    }

    [Fact]
    public async Task TwoPages_AChangeInOne_OrThroughTheApi_ShowsInTheOther()
    {
        var cachePage = await fixture.NewPageAsync();
        var playground = await fixture.NewPageAsync();
        await cachePage.OpenAsync("/cache");
        await playground.OpenAsync("/playground");

        await playground.FillAsync("input[data-testid=pg-id]", "77");
        await playground.FillAsync("input[data-testid=pg-name]", "<b>Zed</b>");
        await playground.ClickAsync("[data-testid=pg-create]");
        await Expect(playground.Locator("[data-testid=pg-message]").First).ToHaveTextAsync("Created User id=77; key User.77 invalidated.");
        await playground.ClickAsync("[data-testid=pg-read]");
        await Expect(playground.Locator("[data-testid=pg-message]").First).ToHaveTextAsync("Got User id=77 name=<b>Zed</b>");

        var row = cachePage.Locator("[data-testid=cache-table] [data-key='User.77']");
        await Expect(row).ToBeVisibleAsync(new() { Timeout = LiveTimeout });
        await Expect(row.Locator("[data-testid=cache-value]")).ToContainTextAsync("Zed");

        // A change through the API, from no page at all.
        using var client = new HttpClient { BaseAddress = fixture.App.BaseAddress };
        using (var created = await client.PostAsJsonAsync("/api/teams", new { id = 78, name = "Ops" }))
        {
            Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        }

        (await client.GetAsync("/api/teams/78")).Dispose();
        await Expect(cachePage.Locator("[data-testid=cache-table] [data-key='Team.78']")).ToBeVisibleAsync(new() { Timeout = LiveTimeout });

        using (var removed = await client.DeleteAsync("/api/cache/entries/User.77"))
        {
            Assert.Equal(HttpStatusCode.NoContent, removed.StatusCode);
        }

        await Expect(row).ToHaveCountAsync(0, new() { Timeout = LiveTimeout });
        await cachePage.Context.CloseAsync();
        await playground.Context.CloseAsync();
    }

    [Fact]
    public async Task TokenGate_OnANonLoopbackBind_Answers401_UntilTheLoginUrl_ThenTheDashboardIsLive()
    {
        const string token = "browser-token-0123456789abcdef";
        using var app = new AppHost(new Dictionary<string, string?> { ["Dashboard:Token"] = token }, loopbackOnly: false);
        var context = await fixture.Browser.NewContextAsync(new BrowserNewContextOptions { ViewportSize = new ViewportSize { Width = 1280, Height = 720 } });
        var page = await context.NewPageAsync();
        var root = app.LoopbackAddress.ToString().TrimEnd('/');

        var refused = await page.GotoAsync(root + "/");
        Assert.Equal(401, refused!.Status);
        await Expect(page.Locator("body")).ToContainTextAsync("needs its token");
        var wrong = await page.GotoAsync(root + "/login?t=wrong");
        Assert.Equal(401, wrong!.Status);

        await page.GotoAsync($"{root}/login?t={token}");
        Assert.Equal(root + "/", page.Url);
        await Expect(page.Locator("[data-interactive]")).ToHaveAttributeAsync("data-interactive", "true", new() { Timeout = 15_000 });
        await Expect(page.Locator("[data-testid=stat-misses-value]")).ToHaveTextAsync("0");

        using var client = new HttpClient { BaseAddress = app.LoopbackAddress };
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token);
        using (var read = await client.GetAsync("/api/users/5"))
        {
            Assert.Equal(HttpStatusCode.NotFound, read.StatusCode);
        }

        await Expect(page.Locator("[data-testid=stat-misses-value]")).ToHaveTextAsync("1", new() { Timeout = LiveTimeout });
        await context.CloseAsync();
    }

    [Fact]
    public async Task EventsPage_UnderAFloodOfTenThousandEvents_StaysResponsive_AndScrollsToTheOldest()
    {
        using var app = new AppHost();
        var journal = app.Services.GetRequiredService<EventJournal>();
        var page = await BrowserFixture.NewPageAsync(fixture.Browser, app.BaseAddress);
        await page.OpenAsync("/events");

        for (var i = 1; i <= 10_000; i++)
        {
            journal.Append(new CacheEvent(0, DateTimeOffset.UtcNow, i % 3 == 0 ? CacheEventKind.Miss : CacheEventKind.Hit, $"Flood.{i}", "User", "flood", TimeSpan.Zero, null));
        }

        await Expect(page.Locator("[data-testid=events-count]")).ToContainTextAsync("10,000 of 10,000 events", new() { Timeout = 10_000 });
        await Expect(page.Locator("[data-testid=event-row]").First).ToHaveAttributeAsync("data-key", "Flood.10000");
        Assert.InRange(await page.Locator("[data-testid=event-row]").CountAsync(), 1, 200);

        await page.ClickAsync("[data-testid=events-pause]");
        await Expect(page.Locator("[data-testid=events-pause]")).ToHaveTextAsync("Resume");
        await page.Locator("[data-testid=events-list]").EvaluateAsync("el => el.scrollTop = el.scrollHeight");
        await Expect(page.Locator("[data-testid=event-row][data-key='Flood.1']")).ToBeVisibleAsync();
        await page.Context.CloseAsync();
    }

    [Fact]
    public async Task Screenshots_OfEveryPage_InLightAndDark()
    {
        await SeedTrafficAsync();
        var folder = BrowserPages.ScreenshotFolder();
        Directory.CreateDirectory(folder);
        var page = await fixture.NewPageAsync();

        async Task ShootAsync(string name, Func<Task> open)
        {
            foreach (var dark in new[] { false, true })
            {
                await open();
                if (dark)
                {
                    await page.ToggleDarkAsync();
                }

                var file = Path.Combine(folder, $"{name}-{(dark ? "dark" : "light")}.png");
                await page.ScreenshotAsync(new PageScreenshotOptions { Path = file, Animations = ScreenshotAnimations.Disabled });
                Assert.True(new FileInfo(file).Length > 10_000, $"{file} looks empty");
            }
        }

        await ShootAsync("overview", async () =>
        {
            await page.OpenAsync("/");
            await Expect(page.Locator("[data-testid=timeline-item]").First).ToBeVisibleAsync();
        });
        await ShootAsync("demo", async () =>
        {
            await page.OpenAsync("/demos/generic");
            await page.ClickAsync("[data-testid=demo-reset]");
            // Half-way, just after the first read of the updated user, so the cache holds it.
            for (var step = 1; step <= 5; step++)
            {
                await page.ClickAsync("[data-testid=demo-next]");
                await Expect(page.Locator("[data-testid=demo-progress]")).ToHaveTextAsync($"Step {step} of 8");
            }

            await Expect(page.Locator("[data-testid=demo-cache] [data-testid=cache-value]")).ToContainTextAsync("Jane");
        });
        await ShootAsync("cache", async () =>
        {
            await page.OpenAsync("/cache");
            await Expect(page.Locator("[data-testid=cache-row]").First).ToBeVisibleAsync();
        });
        await ShootAsync("events", async () =>
        {
            await page.OpenAsync("/events");
            await Expect(page.Locator("[data-testid=event-row]").First).ToBeVisibleAsync();
        });
        await ShootAsync("playground", async () =>
        {
            await page.OpenAsync("/playground");
            await page.ClickAsync("[data-testid=pg-read]");
            await page.ClickAsync("[data-testid=pg-read]");
            await page.FillAsync("input[data-testid=pg-id]", "0");
            await page.ClickAsync("[data-testid=pg-read]");
            await Expect(page.Locator("[data-testid=pg-result]")).ToHaveCountAsync(2);
            await Expect(page.Locator("text=The id must be a positive 32-bit integer")).ToBeVisibleAsync();
        });
        await ShootAsync("compare", async () =>
        {
            await page.OpenAsync("/compare");
            await Expect(page.Locator("[data-testid=compare-key]").First).ToBeVisibleAsync();
        });
        await page.Context.CloseAsync();
    }

    private async Task SeedTrafficAsync()
    {
        using var client = new HttpClient { BaseAddress = fixture.App.BaseAddress };
        foreach (var name in new[] { "simple", "generic", "cacheable", "clash" })
        {
            (await client.PostAsync($"/api/demos/{name}/run", null)).Dispose();
        }

        string[] users = ["Alice", "Bob", "Carol", "Dan", "Erin"];
        for (var i = 0; i < users.Length; i++)
        {
            (await client.PostAsJsonAsync("/api/users", new { id = 10 + i, name = users[i] })).Dispose();
            (await client.PostAsJsonAsync("/api/teams", new { id = 10 + i, name = $"Team {users[i]}" })).Dispose();
        }

        for (var round = 0; round < 3; round++)
        {
            for (var i = 0; i < users.Length; i++)
            {
                (await client.GetAsync($"/api/users/{10 + i}")).Dispose();
                (await client.GetAsync($"/api/teams/{10 + i}")).Dispose();
            }
        }
    }
}
