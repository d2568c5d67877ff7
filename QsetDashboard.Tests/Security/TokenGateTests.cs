using System.Net;
using System.Net.Http.Headers;
using QsetDashboard.Tests.Infrastructure;

namespace QsetDashboard.Tests.Security;

/// <summary>The token gate over HTTP, on the real app bound to every address (and to loopback for contrast).</summary>
public sealed class TokenGateTests : IClassFixture<TokenGateTests.Host>
{
    public const string Token = "test-token-0123456789abcdef";

    private readonly Host _host;

    public TokenGateTests(Host host) => _host = host;

    public sealed class Host : IDisposable
    {
        public ListLoggerProvider Logs { get; } = new();

        public AppHost App { get; }

        public Host() => App = new AppHost(new Dictionary<string, string?> { ["Dashboard:Token"] = Token }, loopbackOnly: false, logs: Logs);

        public void Dispose() => App.Dispose();
    }

    private HttpClient Client(bool followRedirects = false) =>
        new(new HttpClientHandler { AllowAutoRedirect = followRedirects, UseCookies = true }) { BaseAddress = _host.App.LoopbackAddress };

    [Theory]
    [InlineData("/")]
    [InlineData("/cache")]
    [InlineData("/app.css")]
    [InlineData("/api/cache/stats")]
    [InlineData("/api/users")]
    public async Task WithoutToken_EverythingAnswers401(string path)
    {
        using var client = Client();

        using var response = await client.GetAsync(path);

        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        Assert.DoesNotContain("Qset Dashboard</title>", await response.Content.ReadAsStringAsync(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Health_StaysOpen_ForProbes()
    {
        using var client = Client();

        using var response = await client.GetAsync("/health");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
    }

    [Fact]
    public async Task Api_AcceptsTheTokenAsBearer_AndRefusesAWrongOne()
    {
        using var client = Client();
        using var good = new HttpRequestMessage(HttpMethod.Get, "/api/cache/stats") { Headers = { Authorization = new AuthenticationHeaderValue("Bearer", Token) } };
        using var bad = new HttpRequestMessage(HttpMethod.Get, "/api/cache/stats") { Headers = { Authorization = new AuthenticationHeaderValue("Bearer", Token + "x") } };

        using var ok = await client.SendAsync(good);
        using var refused = await client.SendAsync(bad);

        Assert.Equal(HttpStatusCode.OK, ok.StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, refused.StatusCode);
    }

    [Fact]
    public async Task Login_WithTheToken_SetsAnHttpOnlyCookie_AndRedirectsHome_ThenPagesLoad()
    {
        using var client = Client();

        using var login = await client.GetAsync($"/login?t={Token}");

        Assert.Equal(HttpStatusCode.Redirect, login.StatusCode);
        Assert.Equal("/", login.Headers.Location!.OriginalString);
        var cookie = Assert.Single(login.Headers.GetValues("Set-Cookie"));
        Assert.StartsWith(".QsetDashboard.Auth=", cookie, StringComparison.Ordinal);
        Assert.Contains("httponly", cookie, StringComparison.OrdinalIgnoreCase);
        using var home = await client.GetAsync("/");
        Assert.Equal(HttpStatusCode.OK, home.StatusCode);
        using var api = await client.GetAsync("/api/cache/stats");
        Assert.Equal(HttpStatusCode.OK, api.StatusCode);
    }

    [Fact]
    public async Task Login_WithAWrongToken_Answers401_AndSetsNoCookie()
    {
        using var client = Client();

        using var login = await client.GetAsync("/login?t=guess");

        Assert.Equal(HttpStatusCode.Unauthorized, login.StatusCode);
        Assert.False(login.Headers.Contains("Set-Cookie"));
    }

    [Fact]
    public async Task LoginUrl_IsLoggedOnce_WithTheToken()
    {
        await Eventually.TrueAsync(() => _host.Logs.Lines.Any(l => l.Contains("/login?t=", StringComparison.Ordinal)), "the login URL is logged");

        var lines = _host.Logs.Lines.Where(l => l.Contains("/login?t=", StringComparison.Ordinal)).ToList();
        var line = Assert.Single(lines);
        Assert.Contains($"/login?t={Token}", line, StringComparison.Ordinal);
        Assert.Contains($":{_host.App.BaseAddress.Port}/login", line, StringComparison.Ordinal);
    }

    [Fact]
    public async Task OnLoopback_NoTokenIsNeeded()
    {
        using var app = new AppHost();
        using var client = new HttpClient(new HttpClientHandler { AllowAutoRedirect = false }) { BaseAddress = app.BaseAddress };

        using var page = await client.GetAsync("/");
        using var api = await client.GetAsync("/api/cache/stats");
        using var login = await client.GetAsync("/login?t=anything");

        Assert.Equal(HttpStatusCode.OK, page.StatusCode);
        Assert.Equal(HttpStatusCode.OK, api.StatusCode);
        Assert.Equal(HttpStatusCode.Redirect, login.StatusCode);
        Assert.False(login.Headers.Contains("Set-Cookie"));
    }
}
