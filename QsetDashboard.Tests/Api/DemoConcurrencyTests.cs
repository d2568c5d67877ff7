using System.Net;
using System.Text.Json;
using QsetDashboard.Tests.Infrastructure;

namespace QsetDashboard.Tests.Api;

/// <summary>Demo runs started at the same moment: each answers 200 with the transcript it gives when run alone.</summary>
public sealed class DemoConcurrencyTests(AppHostFixture host) : IClassFixture<AppHostFixture>
{
    private readonly HttpClient _client = host.CreateClient();

    private async Task<(HttpStatusCode Status, string Log)> RunAsync(string name)
    {
        using var response = await _client.PostAsync($"/api/demos/{name}/run", null);
        var text = await response.Content.ReadAsStringAsync();
        if (response.StatusCode != HttpStatusCode.OK)
        {
            return (response.StatusCode, text);
        }

        using var body = JsonDocument.Parse(text);
        return (response.StatusCode, string.Join('\n', body.RootElement.GetProperty("log").EnumerateArray().Select(l => l.GetString())));
    }

    [Theory]
    [InlineData("querysets")]
    [InlineData("simple")]
    [InlineData("signals")]
    [InlineData("race-lab")]
    public async Task TwentyRunsOfOneDemoAtOnce_AllAnswer200_WithTheSoloTranscript(string name)
    {
        // The first run may also drop what other tests left cached; the second is the transcript of a clean repeat.
        await RunAsync(name);
        var solo = await RunAsync(name);
        Assert.Equal(HttpStatusCode.OK, solo.Status);

        var runs = await Task.WhenAll(Enumerable.Range(0, 20).Select(_ => RunAsync(name)));

        Assert.All(runs, r => Assert.True(r.Status == HttpStatusCode.OK, $"{(int)r.Status}: {r.Log}"));
        Assert.All(runs, r => Assert.Equal(solo.Log, r.Log));
    }

    [Fact]
    public async Task DemosSharingUserOneAndTeamOne_RunAtOnce_AllAnswer200()
    {
        string[] names = ["simple", "generic", "cacheable", "clash", "signals"];

        var runs = await Task.WhenAll(names.SelectMany(n => Enumerable.Repeat(n, 4)).Select(RunAsync));

        Assert.All(runs, r => Assert.True(r.Status == HttpStatusCode.OK, $"{(int)r.Status}: {r.Log}"));
    }
}
