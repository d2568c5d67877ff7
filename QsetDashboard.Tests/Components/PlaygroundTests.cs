using Bunit;
using Microsoft.Extensions.DependencyInjection;
using Qset.Dashboard.Components.Pages;
using QsetDashboard.Components.Pages;
using QsetDashboard.Data;
using QsetDashboard.Demos;
using Qset.Dashboard.Model;
using QsetDashboard.Model;

namespace QsetDashboard.Tests.Components;

public sealed class PlaygroundTests : DashboardTestContext
{
    private static async Task ChooseAsync(IRenderedComponent<Playground> cut, string group, string text) =>
        await cut.InvokeAsync(() => cut.FindAll($"[data-testid={group}] .mud-toggle-item").First(b => b.TextContent.Trim() == text).Click());

    private static async Task FillAsync(IRenderedComponent<Playground> cut, string id, string? name = null)
    {
        await cut.InvokeAsync(() => cut.Find("input[data-testid=pg-id]").Input(id));
        if (name is not null)
        {
            await cut.InvokeAsync(() => cut.Find("input[data-testid=pg-name]").Input(name));
        }
    }

    private static async Task ClickAsync(IRenderedComponent<Playground> cut, string testId) =>
        await cut.InvokeAsync(() => cut.Find($"[data-testid={testId}]").Click());

    private static string LatestMessage(IRenderedComponent<Playground> cut) =>
        cut.FindAll("[data-testid=pg-message]")[0].TextContent;

    [Theory]
    [InlineData("abc", "The id must be a whole number such as 1.")]
    [InlineData("0", "The id must be a positive 32-bit integer")]
    [InlineData("99999999999", "The id must be a positive 32-bit integer")]
    [InlineData("", "The id is required.")]
    public async Task BadId_ShowsAValidationMessage_AndDoesNothing(string id, string message)
    {
        var cut = RenderWithProviders<Playground>();
        await FillAsync(cut, id);

        await ClickAsync(cut, "pg-read");

        cut.WaitForAssertion(() => Assert.Contains(message, cut.Markup, StringComparison.Ordinal));
        Assert.Equal("Nothing done yet.", cut.Find("[data-testid=pg-empty]").TextContent);
        Assert.Equal(0, Engine.Journal.LastSequence);
    }

    [Fact]
    public async Task BlankOrLongName_OnCreate_ShowsAValidationMessage_AndWritesNothing()
    {
        var cut = RenderWithProviders<Playground>();
        await FillAsync(cut, "3", "   ");
        await ClickAsync(cut, "pg-create");
        cut.WaitForAssertion(() => Assert.Contains("The name is required and cannot be blank.", cut.Markup, StringComparison.Ordinal));

        await FillAsync(cut, "3", new string('x', ModelRules.NameMaxLength + 1));
        await ClickAsync(cut, "pg-create");
        cut.WaitForAssertion(() => Assert.Contains("The name must be at most 100 characters.", cut.Markup, StringComparison.Ordinal));

        Assert.Null(await Engine.Repository.FindAsync<User>(3));
    }

    [Theory]
    [InlineData("Simple", "User", "2")]
    [InlineData("Simple", "Team", "2")]
    [InlineData("Generic", "User", "User.2")]
    [InlineData("Generic", "Team", "Team.2")]
    [InlineData("Cacheable", "User", "User.2")]
    [InlineData("Cacheable", "Team", "Team.2")]
    public async Task Crud_ThroughEachStyle_ReadsMissThenHit_WithTheStylesKey(string style, string entity, string key)
    {
        var cut = RenderWithProviders<Playground>();
        await ChooseAsync(cut, "pg-style", style);
        await ChooseAsync(cut, "pg-entity", entity);
        await FillAsync(cut, "2", "Alice");

        await ClickAsync(cut, "pg-create");
        cut.WaitForAssertion(() => Assert.StartsWith($"Created {entity} id=2", LatestMessage(cut), StringComparison.Ordinal));
        await ClickAsync(cut, "pg-read");
        await ClickAsync(cut, "pg-read");
        cut.WaitForAssertion(() =>
        {
            var rows = cut.FindAll("[data-testid=pg-result]");
            Assert.Equal("HIT", rows[0].QuerySelector(".qset-kind")!.GetAttribute("data-kind"));
            Assert.Equal("MISS", rows[1].QuerySelector(".qset-kind")!.GetAttribute("data-kind"));
            Assert.Matches(@"^\d+\.\d+ (ms|µs)$", rows[0].QuerySelector("[data-testid=pg-time]")!.TextContent);
            Assert.Equal($"Got {entity} id=2 name=Alice", LatestMessage(cut));
        });
        Assert.NotNull(await Engine.Cache.Store.GetAsync(key));

        await FillAsync(cut, "2", "Jane");
        await ClickAsync(cut, "pg-update");
        cut.WaitForAssertion(() => Assert.StartsWith($"Updated {entity} id=2", LatestMessage(cut), StringComparison.Ordinal));
        Assert.Null(await Engine.Cache.Store.GetAsync(key));
        await ClickAsync(cut, "pg-read");
        cut.WaitForAssertion(() => Assert.Equal($"Got {entity} id=2 name=Jane", LatestMessage(cut)));

        await ClickAsync(cut, "pg-delete");
        cut.WaitForAssertion(() => Assert.StartsWith($"Deleted {entity} id=2", LatestMessage(cut), StringComparison.Ordinal));
        await ClickAsync(cut, "pg-read");
        cut.WaitForAssertion(() => Assert.Equal($"No {entity} with id=2.", LatestMessage(cut)));
        Assert.All(Engine.Journal.ReadAfter(0), e => Assert.Equal("playground", e.Source));
    }

    [Fact]
    public async Task CreateTwice_SaysItExists_UpdateMissing_SaysUseCreate()
    {
        var cut = RenderWithProviders<Playground>();
        await FillAsync(cut, "4", "Bob");
        await ClickAsync(cut, "pg-create");
        await ClickAsync(cut, "pg-create");
        cut.WaitForAssertion(() => Assert.Equal("A User with id=4 already exists; use Update.", LatestMessage(cut)));

        await FillAsync(cut, "5", "Carol");
        await ClickAsync(cut, "pg-update");
        cut.WaitForAssertion(() => Assert.Equal("No User with id=5; use Create.", LatestMessage(cut)));
        Assert.Equal("false", cut.FindAll("[data-testid=pg-result]")[0].GetAttribute("data-ok"));
    }

    [Theory]
    [InlineData("User", "1")]
    [InlineData("User", "7")]
    [InlineData("User", "250")]
    [InlineData("Team", "1")]
    public async Task WritingADemoId_ShowsWhyItIsReserved_AndWritesNothing(string entity, string id)
    {
        var cut = RenderWithProviders<Playground>();
        await ChooseAsync(cut, "pg-entity", entity);
        await FillAsync(cut, id, "Important customer");

        foreach (var button in new[] { "pg-create", "pg-update", "pg-delete" })
        {
            await ClickAsync(cut, button);
            cut.WaitForAssertion(() => Assert.Contains($"{entity} id {id} is reserved for the demos", cut.Markup, StringComparison.Ordinal));
        }

        Assert.Empty(cut.FindAll("[data-testid=pg-result]"));
        Assert.Equal(0, Engine.Journal.LastSequence);
        Assert.Empty(await Engine.Repository.ListAsync<User>());
        Assert.Empty(await Engine.Repository.ListAsync<Team>());
    }

    [Theory]
    [InlineData(CacheStyle.Simple)]
    [InlineData(CacheStyle.Generic)]
    [InlineData(CacheStyle.Cacheable)]
    public async Task TheOperations_RefuseADemoId_EvenWithoutThePagesValidation(CacheStyle style)
    {
        var operations = Services.GetRequiredService<PlaygroundOperations>();
        await Engine.Generic.SetAsync(DemoIds.SeedId, new Team { Name = "Demo's team" });

        var outcomes = new[]
        {
            await operations.CreateAsync(style, EntityKind.User, DemoIds.SeedId, "Important customer"),
            await operations.UpdateAsync(style, EntityKind.Team, DemoIds.SeedId, "Important team"),
            await operations.DeleteAsync(style, EntityKind.Team, DemoIds.SeedId),
        };

        Assert.All(outcomes, o => Assert.False(o.Succeeded));
        Assert.All(outcomes, o => Assert.Contains("is reserved for the demos", o.Message, StringComparison.Ordinal));
        Assert.Null(await Engine.Repository.FindAsync<User>(DemoIds.SeedId));
        Assert.Equal("Demo's team", (await Engine.Repository.FindAsync<Team>(DemoIds.SeedId))!.Name);
    }

    [Fact]
    public async Task ReadingADemoId_StillWorks()
    {
        await Engine.Generic.SetAsync(DemoIds.RaceLabUserId, new User { Name = "v3" });
        var cut = RenderWithProviders<Playground>();
        await FillAsync(cut, DemoIds.RaceLabUserId.ToString(System.Globalization.CultureInfo.InvariantCulture));

        await ClickAsync(cut, "pg-read");

        cut.WaitForAssertion(() => Assert.Equal($"Got User id={DemoIds.RaceLabUserId} name=v3", LatestMessage(cut)));
    }

    [Fact]
    public async Task HtmlInAName_IsShownAsText()
    {
        const string name = "<script>alert(1)</script><b>bold</b>";
        var cut = RenderWithProviders<Playground>();
        await FillAsync(cut, "9", name);
        await ClickAsync(cut, "pg-create");
        await ClickAsync(cut, "pg-read");

        cut.WaitForAssertion(() => Assert.Equal($"Got User id=9 name={name}", LatestMessage(cut)));
        Assert.Empty(cut.FindAll("[data-testid=pg-results] script"));
        Assert.Empty(cut.FindAll("[data-testid=pg-results] b"));
    }
}
