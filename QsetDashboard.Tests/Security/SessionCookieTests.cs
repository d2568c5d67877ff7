using System.Net;
using System.Net.Http.Headers;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authentication.Cookies;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Qset.Dashboard.Security;
using QsetDashboard.Tests.Api;
using QsetDashboard.Tests.Infrastructure;

namespace QsetDashboard.Tests.Security;

/// <summary>The login cookie on a non-loopback bind: bound to the token it was issued for, and useless from another site or port.</summary>
public sealed class SessionCookieTests : IClassFixture<SessionCookieTests.Host>
{
    public const string Token = "session-token-0123456789abcdef";

    private readonly Host _host;

    public SessionCookieTests(Host host) => _host = host;

    public sealed class Host : IDisposable
    {
        public AppHost App { get; } = new(new Dictionary<string, string?> { ["Dashboard:Token"] = Token }, loopbackOnly: false);

        public void Dispose() => App.Dispose();
    }

    private string OwnOrigin => $"http://127.0.0.1:{_host.App.BaseAddress.Port}";

    private HttpClient Client() =>
        new(new HttpClientHandler { AllowAutoRedirect = false, UseCookies = false }) { BaseAddress = _host.App.LoopbackAddress };

    /// <summary>A cookie as the app would issue it after a login with <paramref name="token"/>, sealed with this host's keys.</summary>
    private string CookieIssuedFor(string? token)
    {
        var options = _host.App.Services.GetRequiredService<IOptionsMonitor<CookieAuthenticationOptions>>()
            .Get(DashboardSecurityExtensions.CookieScheme);
        var principal = token is null
            ? new System.Security.Claims.ClaimsPrincipal(new System.Security.Claims.ClaimsIdentity(
                [new System.Security.Claims.Claim(System.Security.Claims.ClaimTypes.Name, "dashboard-browser")], DashboardSecurityExtensions.CookieScheme))
            : DashboardSession.PrincipalFor(token, DashboardSecurityExtensions.CookieScheme);
        var ticket = new AuthenticationTicket(principal, new AuthenticationProperties { IsPersistent = true }, DashboardSecurityExtensions.CookieScheme);
        return $"{DashboardSecurityExtensions.CookieName}={options.TicketDataFormat.Protect(ticket)}";
    }

    private async Task<string> LoginCookieAsync()
    {
        using var client = Client();
        using var login = await client.GetAsync($"/login?t={Token}");
        Assert.Equal(HttpStatusCode.Redirect, login.StatusCode);
        return login.Headers.GetValues("Set-Cookie").Single().Split(';')[0];
    }

    private async Task<HttpResponseMessage> SendAsync(HttpMethod method, string path, string cookie, string? origin = null, string? fetchSite = null)
    {
        using var client = Client();
        using var request = new HttpRequestMessage(method, path);
        request.Headers.Add("Cookie", cookie);
        if (origin is not null)
        {
            request.Headers.Add("Origin", origin);
        }

        if (fetchSite is not null)
        {
            request.Headers.Add("Sec-Fetch-Site", fetchSite);
        }

        return await client.SendAsync(request);
    }

    [Fact]
    public async Task ACookieIssuedForAnotherToken_Is401_AndIsDeleted()
    {
        // The same data-protection keys, as after a restart with a new Dashboard:Token: the cookie still decrypts.
        var stale = CookieIssuedFor("an-older-token-0123456789abcdef");

        using var response = await SendAsync(HttpMethod.Get, "/api/cache/stats", stale);

        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        var cleared = Assert.Single(response.Headers.GetValues("Set-Cookie"));
        Assert.StartsWith($"{DashboardSecurityExtensions.CookieName}=;", cleared, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ACookieWithoutATokenClaim_FromBeforeTheBinding_Is401()
    {
        using var response = await SendAsync(HttpMethod.Get, "/api/cache/stats", CookieIssuedFor(null));

        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
    }

    [Fact]
    public async Task ACookieIssuedForTheCurrentToken_IsAccepted_SoTheForgeryAboveIsFaithful()
    {
        using var response = await SendAsync(HttpMethod.Get, "/api/cache/stats", CookieIssuedFor(Token));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
    }

    [Fact]
    public async Task TheLoginCookie_CarriesTheTokenBinding()
    {
        var cookie = await LoginCookieAsync();
        var options = _host.App.Services.GetRequiredService<IOptionsMonitor<CookieAuthenticationOptions>>()
            .Get(DashboardSecurityExtensions.CookieScheme);

        var ticket = options.TicketDataFormat.Unprotect(cookie[(DashboardSecurityExtensions.CookieName.Length + 1)..]);

        Assert.NotNull(ticket);
        Assert.Equal(
            DashboardSession.PrincipalFor(Token, DashboardSecurityExtensions.CookieScheme).FindFirst(DashboardSession.TokenHashClaim)!.Value,
            ticket.Principal.FindFirst(DashboardSession.TokenHashClaim)?.Value);
    }

    [Theory]
    [InlineData("same-site", true)]
    [InlineData("cross-site", false)]
    [InlineData(null, true)]
    public async Task WithTheCookie_AWriteFromAnotherPortOrSite_Is403(string? fetchSite, bool otherPortOfThisHost)
    {
        var cookie = await LoginCookieAsync();
        var origin = otherPortOfThisHost ? $"http://127.0.0.1:{_host.App.BaseAddress.Port + 1}" : "http://evil.example";

        using var response = await SendAsync(HttpMethod.Post, "/api/cache/flush", cookie, origin, fetchSite);

        await Problem.AssertAsync(response, HttpStatusCode.Forbidden);
    }

    [Fact]
    public async Task WithTheCookie_AWriteFromTheDashboardsOwnOrigin_IsAccepted()
    {
        var cookie = await LoginCookieAsync();

        using var response = await SendAsync(HttpMethod.Post, "/api/cache/flush", cookie, OwnOrigin, "same-origin");

        Assert.Equal(HttpStatusCode.NoContent, response.StatusCode);
    }

    [Fact]
    public async Task OnANonLoopbackBind_ConfiguredAllowedHostsAreEnforced()
    {
        using var app = new AppHost(new Dictionary<string, string?> { ["Dashboard:Token"] = Token, ["AllowedHosts"] = "dashboard.example" }, loopbackOnly: false);
        using var client = new HttpClient { BaseAddress = app.LoopbackAddress };
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", Token);
        using var allowed = new HttpRequestMessage(HttpMethod.Get, "/api/cache/stats") { Headers = { Host = "dashboard.example" } };
        using var other = new HttpRequestMessage(HttpMethod.Get, "/api/cache/stats") { Headers = { Host = "evil.example" } };

        using var allowedResponse = await client.SendAsync(allowed);
        using var otherResponse = await client.SendAsync(other);

        Assert.Equal(HttpStatusCode.OK, allowedResponse.StatusCode);
        Assert.Equal(HttpStatusCode.BadRequest, otherResponse.StatusCode);
    }
}
