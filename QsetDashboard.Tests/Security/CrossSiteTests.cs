using System.Net;
using System.Net.Http.Json;
using System.Net.WebSockets;
using System.Text;
using System.Text.Json;
using QsetDashboard.Tests.Api;
using QsetDashboard.Tests.Infrastructure;

namespace QsetDashboard.Tests.Security;

/// <summary>
/// A page on another site, or a DNS-rebinding page, against the app on loopback with no token: it must not change
/// or read anything. API clients (no Origin, no Sec-Fetch-Site) and the app's own pages keep working.
/// </summary>
public sealed class CrossSiteTests(AppHostFixture host) : IClassFixture<AppHostFixture>
{
    private const string Evil = "http://evil.example";

    private readonly HttpClient _client = host.CreateClient();

    private string OwnOrigin => $"http://127.0.0.1:{host.App.BaseAddress.Port}";

    private static HttpRequestMessage Post(string path, string? origin = null, string? fetchSite = null, HttpContent? content = null)
    {
        var request = new HttpRequestMessage(HttpMethod.Post, path) { Content = content };
        if (origin is not null)
        {
            request.Headers.Add("Origin", origin);
        }

        if (fetchSite is not null)
        {
            request.Headers.Add("Sec-Fetch-Site", fetchSite);
        }

        return request;
    }

    private async Task<int> CacheCountAsync() =>
        (await _client.GetFromJsonAsync<JsonElement>("/api/cache/entries")).GetArrayLength();

    [Fact]
    public async Task CreateUser_AsTextPlain_Is415_AndWritesNothing()
    {
        // A cross-site form or a no-cors fetch can send text/plain without a preflight; JSON cannot be.
        using var request = Post("/api/users", content: new StringContent("{\"id\": 3101, \"name\": \"Mallory\"}", Encoding.UTF8, "text/plain"));

        using var response = await _client.SendAsync(request);

        await Problem.AssertAsync(response, HttpStatusCode.UnsupportedMediaType, "application/json");
        Assert.Equal(HttpStatusCode.NotFound, (await _client.GetAsync("/api/users/3101")).StatusCode);
    }

    [Fact]
    public async Task CreateUser_FromAnotherOrigin_Is403_AndWritesNothing()
    {
        using var request = Post("/api/users", Evil, content: JsonContent.Create(new { id = 3102, name = "Mallory" }));

        using var response = await _client.SendAsync(request);

        await Problem.AssertAsync(response, HttpStatusCode.Forbidden, "evil.example");
        Assert.Equal(HttpStatusCode.NotFound, (await _client.GetAsync("/api/users/3102")).StatusCode);
    }

    [Fact]
    public async Task Flush_FromAnotherOrigin_Is403_AndTheCacheKeepsItsEntries()
    {
        using (var created = await _client.PostAsJsonAsync("/api/teams", new { id = 3103, name = "Kept" }))
        {
            Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        }

        await _client.GetAsync("/api/teams/3103");
        var before = await CacheCountAsync();
        using var request = Post("/api/cache/flush", Evil);

        using var response = await _client.SendAsync(request);

        await Problem.AssertAsync(response, HttpStatusCode.Forbidden);
        Assert.True(before > 0);
        Assert.Equal("HIT", (await _client.GetAsync("/api/teams/3103")).Headers.GetValues("X-Cache").Single());
    }

    [Theory]
    [InlineData(Evil, null)]
    [InlineData("null", null)]
    [InlineData("http://localhost:1", null)]
    [InlineData(null, "cross-site")]
    [InlineData(null, "same-site")]
    public async Task RunDemo_FromAnotherSiteOrPort_Is403(string? origin, string? fetchSite)
    {
        using var request = Post("/api/demos/simple/run", origin, fetchSite);

        using var response = await _client.SendAsync(request);

        await Problem.AssertAsync(response, HttpStatusCode.Forbidden);
    }

    [Theory]
    [InlineData("DELETE", 3104)]
    [InlineData("PUT", 3105)]
    [InlineData("PATCH", 3106)]
    public async Task OtherWriteVerbs_FromAnotherOrigin_Are403(string method, int id)
    {
        using (var created = await _client.PostAsJsonAsync("/api/users", new { id, name = "Kept" }))
        {
            Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        }

        using var request = new HttpRequestMessage(new HttpMethod(method), $"/api/users/{id}") { Content = JsonContent.Create(new { name = "Mallory" }) };
        request.Headers.Add("Origin", Evil);

        using var response = await _client.SendAsync(request);

        await Problem.AssertAsync(response, HttpStatusCode.Forbidden);
        Assert.Equal("Kept", (await _client.GetFromJsonAsync<JsonElement>($"/api/users/{id}")).GetProperty("name").GetString());
    }

    [Fact]
    public async Task ApiClientWithoutOrigin_AsTheReadmesCurl_StillRunsADemo()
    {
        using var response = await _client.PostAsync("/api/demos/cacheable/run", null);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
    }

    [Theory]
    [InlineData(3111, true, null)]
    [InlineData(3112, false, "same-origin")]
    [InlineData(3113, true, "same-origin")]
    [InlineData(3114, false, "none")]
    public async Task SameOriginBrowserWrite_IsAccepted(int id, bool sendOrigin, string? fetchSite)
    {
        using var request = Post("/api/users", sendOrigin ? OwnOrigin : null, fetchSite, JsonContent.Create(new { id, name = "Own page" }));

        using var response = await _client.SendAsync(request);

        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
    }

    [Theory]
    [InlineData(3115, "[0:0:0:0:0:0:0:1]", "[::1]", HttpStatusCode.Created)]
    [InlineData(3116, "[::1]", "[0::1]", HttpStatusCode.Created)]
    [InlineData(3117, "[0:0:0:0:0:0:0:1]", "[::2]", HttpStatusCode.Forbidden)]
    public async Task AnIPv6Host_IsItsOwnOrigin_InEitherForm(int id, string hostHeader, string originHost, HttpStatusCode expected)
    {
        // A client may write the literal in full where a browser writes it short: the same host, the same origin.
        var port = host.App.BaseAddress.Port;
        using var request = Post("/api/users", $"http://{originHost}:{port}", content: JsonContent.Create(new { id, name = "Own page" }));
        request.Headers.Host = $"{hostHeader}:{port}";

        using var response = await _client.SendAsync(request);

        Assert.Equal(expected, response.StatusCode);
    }

    [Fact]
    public async Task BlazorNegotiate_FromTheAppsOwnPage_IsAccepted_AndFromAnotherOrigin_Is403()
    {
        using var own = Post("/_blazor/negotiate?negotiateVersion=1", OwnOrigin, "same-origin");
        using var evil = Post("/_blazor/negotiate?negotiateVersion=1", Evil, "cross-site");

        using var ownResponse = await _client.SendAsync(own);
        using var evilResponse = await _client.SendAsync(evil);

        Assert.Equal(HttpStatusCode.OK, ownResponse.StatusCode);
        Assert.Contains("connectionToken", await ownResponse.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        await Problem.AssertAsync(evilResponse, HttpStatusCode.Forbidden);
    }

    [Fact]
    public async Task BlazorWebSocket_FromAnotherOrigin_IsRefused_AndFromItsOwnOrigin_Opens()
    {
        // A WebSocket handshake is a GET that CORS never guards: the origin check covers it as it covers writes.
        var address = new Uri($"ws://127.0.0.1:{host.App.BaseAddress.Port}/_blazor");
        using var evil = new ClientWebSocket();
        evil.Options.SetRequestHeader("Origin", Evil);
        using var own = new ClientWebSocket();
        own.Options.SetRequestHeader("Origin", OwnOrigin);

        var refused = await Assert.ThrowsAsync<WebSocketException>(() => evil.ConnectAsync(address, CancellationToken.None));
        await own.ConnectAsync(address, CancellationToken.None);

        Assert.Contains("403", refused.Message, StringComparison.Ordinal);
        Assert.Equal(WebSocketState.Open, own.State);
        await own.CloseOutputAsync(WebSocketCloseStatus.NormalClosure, null, CancellationToken.None);
    }

    [Theory]
    [InlineData("evil.example")]
    [InlineData("evil.example:80")]
    [InlineData("192.168.1.10")]
    [InlineData("localhost.evil.example")]
    public async Task ARebindingHostName_Is400_OnALoopbackBind(string hostHeader)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, "/api/users");
        request.Headers.Host = hostHeader;

        using var response = await _client.SendAsync(request);

        await Problem.AssertAsync(response, HttpStatusCode.BadRequest, "Host");
    }

    [Theory]
    [InlineData("localhost")]
    [InlineData("LOCALHOST:5000")]
    [InlineData("127.0.0.1")]
    [InlineData("[::1]:8080")]
    public async Task LoopbackHostNames_AreAccepted_WithAnyPort(string hostHeader)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, "/api/users");
        request.Headers.Host = hostHeader;

        using var response = await _client.SendAsync(request);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
    }
}
