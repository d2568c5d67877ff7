using Bunit;
using Microsoft.AspNetCore.Components;
using Qset.Caching;
using Qset.Dashboard.Components.Controls;
using QsetDashboard.Components.Controls;
using Qset.Dashboard.Components.Pages;
using QsetDashboard.Components.Pages;
using QsetDashboard.Demos;

namespace QsetDashboard.Tests.Components;

public sealed class DemoRunnerTests : DashboardTestContext
{
    private IRenderedComponent<DemoRunner> RenderRunner(string name, RenderFragment? toolbar = null) =>
        RenderWithProviders<DemoRunner>(p => p.Add(r => r.ScenarioName, name).Add(r => r.ToolbarContent, toolbar));

    private static async Task ClickAsync(IRenderedComponent<DemoRunner> cut, string testId) =>
        await cut.InvokeAsync(() => cut.Find($"[data-testid={testId}]").Click());

    [Fact]
    public void Render_ShowsEveryStep_WithTheFirstCurrent_AndTheExactButtonLabels()
    {
        var cut = RenderRunner("generic");

        var steps = cut.FindAll("[data-testid=demo-step]");
        Assert.Equal(8, steps.Count);
        Assert.Equal("current", steps[0].GetAttribute("data-state"));
        Assert.All(steps.Skip(1), s => Assert.Equal("pending", s.GetAttribute("data-state")));
        Assert.Equal("Next step", cut.Find("[data-testid=demo-next]").TextContent.Trim());
        Assert.Equal("Run all", cut.Find("[data-testid=demo-run-all]").TextContent.Trim());
        Assert.Equal("Reset", cut.Find("[data-testid=demo-reset]").TextContent.Trim());
    }

    [Fact]
    public async Task NextStep_ThreeTimes_HighlightsStepFour_WritesTheSeedTranscript_AndShowsTheCachedKey()
    {
        var cut = RenderRunner("generic");

        for (var i = 0; i < 3; i++)
        {
            await ClickAsync(cut, "demo-next");
        }

        cut.WaitForAssertion(() =>
        {
            var states = cut.FindAll("[data-testid=demo-step]").Select(s => s.GetAttribute("data-state")).ToList();
            Assert.Equal(["done", "done", "done", "current", "pending", "pending", "pending", "pending"], states);
        });
        var transcript = cut.Find("[data-testid=demo-transcript]").TextContent.Split('\n');
        Assert.Equal(
        [
            "Testing generic caching of every entity type using the Memory store ...",
            "Creating a user with id=1",
            "  CACHE INVALIDATE key=User.1",
            "First get of user with id=1",
            "  CACHE MISS key=User.1",
            "  CACHE POPULATE key=User.1",
            "Got User id=1 name=Alice",
            "Second get of user with id=1",
            "  CACHE HIT key=User.1",
            "Got User id=1 name=Alice",
        ], transcript);
        cut.WaitForAssertion(() =>
        {
            Assert.Equal("User.1", cut.Find("[data-testid=demo-cache] [data-testid=cache-key]").TextContent);
            Assert.Contains("Alice", cut.Find("[data-testid=demo-cache] [data-testid=cache-value]").TextContent, StringComparison.Ordinal);
            Assert.Equal("HIT", cut.FindAll("[data-testid=timeline-item]")[0].GetAttribute("data-kind"));
        });
    }

    [Fact]
    public async Task RunAll_CompletesTheWalk_DisablesNext_AndLeavesNothingCached()
    {
        var cut = RenderRunner("cacheable");

        await ClickAsync(cut, "demo-run-all");

        cut.WaitForAssertion(() =>
        {
            Assert.All(cut.FindAll("[data-testid=demo-step]"), s => Assert.Equal("done", s.GetAttribute("data-state")));
            Assert.True(cut.Find("[data-testid=demo-next]").HasAttribute("disabled"));
            Assert.EndsWith("Got None", cut.Find("[data-testid=demo-transcript]").TextContent, StringComparison.Ordinal);
            Assert.Single(cut.FindAll("[data-testid=demo-cache-empty]"));
            Assert.Empty(cut.FindAll("[data-testid=demo-cache] [data-testid=cache-row]"));
        });
    }

    [Fact]
    public async Task QuerySets_TheCachePanel_ShowsTheCachedQueryResults_WhoseKeysHoldAHash()
    {
        var cut = RenderRunner("querysets");

        await ClickAsync(cut, "demo-next");  // creates the users
        await ClickAsync(cut, "demo-next");  // runs the query once: MISS, then its result is cached

        cut.WaitForAssertion(() => Assert.Contains(
            cut.FindAll("[data-testid=demo-cache] [data-testid=cache-row]"),
            r => r.GetAttribute("data-key")!.StartsWith("Query.User.", StringComparison.Ordinal)));
    }

    [Fact]
    public async Task Reset_PutsTheWalkBeforeItsFirstStep_WithItsKeysCleared()
    {
        var cut = RenderRunner("simple");
        await ClickAsync(cut, "demo-next");
        await ClickAsync(cut, "demo-next");
        cut.WaitForAssertion(() => Assert.NotEmpty(cut.FindAll("[data-testid=demo-cache] [data-testid=cache-row]")));

        await ClickAsync(cut, "demo-reset");

        cut.WaitForAssertion(() =>
        {
            Assert.Equal("current", cut.FindAll("[data-testid=demo-step]")[0].GetAttribute("data-state"));
            Assert.Single(cut.FindAll("[data-testid=demo-cache-empty]"));
            Assert.Empty(cut.FindAll("[data-testid=demo-cache] [data-testid=cache-row]"));
            Assert.Equal("Testing model-specific simple caching of users using the Memory store ...",
                cut.Find("[data-testid=demo-transcript]").TextContent);
        });
        Assert.Null(await Engine.Cache.Store.GetAsync("1"));
    }

    [Fact]
    public async Task EveryScenarioInTheCatalog_StepsThroughToTheEnd_WithTheRunnersTranscript()
    {
        foreach (var scenario in Engine.Demos.All)
        {
            // A bulk write invalidates every held key of its table, so each walk starts from an empty cache.
            await Engine.Cache.FlushAsync();
            var cut = RenderRunner(scenario.Name);
            for (var i = 0; i < scenario.Steps.Count; i++)
            {
                await ClickAsync(cut, "demo-next");
                var done = i + 1;
                cut.WaitForAssertion(() => Assert.Equal(
                    $"Step {done} of {scenario.Steps.Count}", cut.Find("[data-testid=demo-progress]").TextContent.Trim()));
            }

            await Engine.Cache.FlushAsync();
            var reference = new DemoRun(scenario);
            await reference.RunAllAsync();
            cut.WaitForAssertion(() =>
                Assert.Equal(string.Join("\n", reference.Log), cut.Find("[data-testid=demo-transcript]").TextContent));
            Assert.Equal($"Step {scenario.Steps.Count} of {scenario.Steps.Count}", cut.Find("[data-testid=demo-progress]").TextContent.Trim());
        }
    }

    [Fact]
    public async Task Timeline_ShowsOnlyThisDemosEvents_AndUpdatesLive()
    {
        var cut = RenderRunner("generic");
        using (CacheContext.Use("someone-else"))
        {
            await Engine.Generic.GetAsync<QsetDashboard.Data.User>(42);
        }

        await ClickAsync(cut, "demo-next");

        cut.WaitForAssertion(() =>
        {
            var items = cut.FindAll("[data-testid=timeline-item]");
            Assert.NotEmpty(items);
            Assert.All(items, i => Assert.Equal("User.1", i.GetAttribute("data-key")));
        });

        // A walk of the same demo from elsewhere (another tab) shows up here without a click.
        var other = new DemoRun(Engine.Demos.Find("generic")!);
        await other.NextAsync();
        await other.NextAsync();
        cut.WaitForAssertion(() => Assert.Contains(cut.FindAll("[data-testid=timeline-item]"), i => i.GetAttribute("data-kind") == "POPULATE"));
    }

    [Fact]
    public void UnknownScenario_SaysSo_AndListsTheKnownOnes()
    {
        var cut = RenderRunner("nope");

        var alert = cut.Find("[data-testid=demo-unknown]").TextContent;
        Assert.Contains("nope", alert, StringComparison.Ordinal);
        Assert.Contains("generic", alert, StringComparison.Ordinal);
    }

    [Fact]
    public void ToolbarContent_IsRenderedBesideTheButtons()
    {
        var cut = RenderRunner("simple", b => b.AddMarkupContent(0, "<button data-testid=\"extra\">Race</button>"));

        Assert.Equal("Race", cut.Find("[data-testid=extra]").TextContent);
    }

    [Fact]
    public async Task DemoPage_RendersTheRunnerOfItsRouteName_AndKeepsTheWalkAcrossVisits()
    {
        var cut = RenderWithProviders<Demo>(p => p.Add(d => d.Name, "cacheable"));
        Assert.Equal("cacheable", cut.Find("[data-testid=demo]").GetAttribute("data-scenario"));
        await cut.InvokeAsync(() => cut.Find("[data-testid=demo-next]").Click());
        cut.WaitForAssertion(() => Assert.Equal("current", cut.FindAll("[data-testid=demo-step]")[1].GetAttribute("data-state")));

        cut.Render(p => p.Add(d => d.Name, "generic"));
        Assert.Equal("generic", cut.Find("[data-testid=demo]").GetAttribute("data-scenario"));
        cut.Render(p => p.Add(d => d.Name, "cacheable"));

        Assert.Equal("current", cut.FindAll("[data-testid=demo-step]")[1].GetAttribute("data-state"));
    }

    [Fact]
    public async Task Disposing_TheRunner_DisposesItsJournalSubscription()
    {
        var before = Engine.Journal.SubscriberCount;
        var cut = RenderRunner("simple");
        cut.WaitForAssertion(() => Assert.Equal(before + 1, Engine.Journal.SubscriberCount));

        await DisposeComponentsAsync();

        Assert.Equal(before, Engine.Journal.SubscriberCount);
    }
}
