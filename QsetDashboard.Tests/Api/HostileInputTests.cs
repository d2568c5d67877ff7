using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using QsetDashboard.Tests.Infrastructure;

namespace QsetDashboard.Tests.Api;

/// <summary>Input no client should send: each gets a ProblemDetails with the right status, never a 500, and writes nothing.</summary>
public sealed class HostileInputTests(AppHostFixture host) : IClassFixture<AppHostFixture>
{
    private readonly HttpClient _client = host.CreateClient();

    private async Task AssertNoUserAsync(int id) =>
        Assert.Equal(HttpStatusCode.NotFound, (await _client.GetAsync($"/api/users/{id}")).StatusCode);

    [Fact]
    public async Task ALoneSurrogateInAName_Is400()
    {
        using var response = await _client.PostAsync("/api/users",
            new StringContent("{\"id\": 4001, \"name\": \"a\\ud800b\"}", Encoding.UTF8, "application/json"));

        await Problem.AssertAsync(response, HttpStatusCode.BadRequest, "name");
        await AssertNoUserAsync(4001);
    }

    [Fact]
    public async Task InvalidUtf8InAName_Is400()
    {
        byte[] body = [.. "{\"id\": 4002, \"name\": \"a"u8, 0xC3, 0x28, 0xFF, .. "b\"}"u8];
        using var content = new ByteArrayContent(body);
        content.Headers.ContentType = new("application/json");

        using var response = await _client.PostAsync("/api/users", content);

        await Problem.AssertAsync(response, HttpStatusCode.BadRequest);
        await AssertNoUserAsync(4002);
    }

    [Fact]
    public async Task ALoneSurrogateInAnUpdate_Is400_AndTheRowIsUnchanged()
    {
        using (var created = await _client.PostAsJsonAsync("/api/users", new { id = 4003, name = "Ann" }))
        {
            Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        }

        using var response = await _client.PutAsync("/api/users/4003",
            new StringContent("{\"name\": \"\\udfff\"}", Encoding.UTF8, "application/json"));

        await Problem.AssertAsync(response, HttpStatusCode.BadRequest, "name");
        Assert.Equal("Ann", (await _client.GetFromJsonAsync<JsonElement>("/api/users/4003")).GetProperty("name").GetString());
    }

    [Fact]
    public async Task A31MegabyteBody_Is413_BeforeItIsRead()
    {
        // The head announces 31 MB; the server must refuse on the head, so the body is never sent whole.
        var raw = await RawHttp.SendAsync(host.App.BaseAddress,
            $"POST /api/users HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: {31 * 1024 * 1024}\r\n\r\n",
            "{\"id\": 4004, \"name\": \"xxxx"u8.ToArray());

        AssertRawProblem(raw, 413);
        await AssertNoUserAsync(4004);
    }

    [Fact]
    public async Task ABodyOverTheLimit_SentChunked_Is413()
    {
        var json = Encoding.UTF8.GetBytes($"{{\"id\": 4005, \"name\": \"{new string('x', 70 * 1024)}\"}}");
        var chunk = Encoding.ASCII.GetBytes($"{json.Length:x}\r\n");
        var raw = await RawHttp.SendAsync(host.App.BaseAddress,
            "POST /api/users HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n",
            [.. chunk, .. json, .. "\r\n0\r\n\r\n"u8]);

        AssertRawProblem(raw, 413);
        await AssertNoUserAsync(4005);
    }

    [Fact]
    public async Task AMalformedChunk_Is400()
    {
        var raw = await RawHttp.SendAsync(host.App.BaseAddress,
            "POST /api/users HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n",
            "zz\r\n{\"id\": 4006, \"name\": \"x\"}\r\n0\r\n\r\n"u8.ToArray());

        AssertRawProblem(raw, 400);
        await AssertNoUserAsync(4006);
    }

    [Fact]
    public async Task ABodyShorterThanItsContentLength_Is408_WhenKestrelStopsWaiting()
    {
        // Kestrel's minimum body data rate ends the wait (after its 5-second grace period); the app answers the 408.
        var body = "{\"id\": 4007, \"name\": \"x\"}"u8.ToArray();
        var raw = await RawHttp.SendAsync(host.App.BaseAddress,
            $"POST /api/users HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: {body.Length + 50}\r\n\r\n",
            body);

        AssertRawProblem(raw, 408);
        await AssertNoUserAsync(4007);
    }

    [Fact]
    public async Task Create_AnswersTheApiLocation_WhichServesTheRow()
    {
        using var created = await _client.PostAsJsonAsync("/api/teams", new { id = 4008, name = "Located" });

        Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        Assert.Equal("/api/teams/4008", created.Headers.Location!.OriginalString);
        Assert.Equal("Located", (await _client.GetFromJsonAsync<JsonElement>(created.Headers.Location)).GetProperty("name").GetString());
    }

    [Theory]
    [InlineData("limit=5%00")]
    [InlineData("limit=%2B5")]
    [InlineData("limit=5%20")]
    [InlineData("limit=%205")]
    [InlineData("after=1e3")]
    [InlineData("limit=%D9%A5")]
    public async Task CacheEvents_NonDigitPaging_Is400(string query)
    {
        using var response = await _client.GetAsync($"/api/cache/events?{query}");

        await Problem.AssertAsync(response, HttpStatusCode.BadRequest, "must be a whole number");
    }

    [Fact]
    public async Task ANulInThePath_IsRefusedByKestrel_BeforeTheApp()
    {
        // Kestrel rejects a decoded NUL in the request target itself (an empty 400, connection closed): no app code
        // runs, so there is no ProblemDetails to give; what matters is that it is a 400 that reads nothing.
        using var response = await _client.GetAsync("/api/users/1%00");

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.True(response.Headers.ConnectionClose);
    }

    [Theory]
    [InlineData("1%01")]
    [InlineData("%2B1")]
    [InlineData("1%20")]
    [InlineData("%D9%A1")]
    public async Task AnIdWithHiddenCharacters_Is400ProblemDetails(string id)
    {
        using var response = await _client.GetAsync($"/api/users/{id}");

        await Problem.AssertAsync(response, HttpStatusCode.BadRequest);
    }

    private static void AssertRawProblem(RawResponse raw, int status)
    {
        Assert.True(raw.Status == status, $"expected {status}: {raw.Headers}\n{raw.Body}");
        Assert.Contains("application/problem+json", raw.Headers, StringComparison.OrdinalIgnoreCase);
        Assert.Contains($"\"status\":{status}", raw.Body, StringComparison.Ordinal);
    }
}
