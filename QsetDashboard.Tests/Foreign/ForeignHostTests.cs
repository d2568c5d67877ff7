using System.Net;
using System.Net.Http.Headers;
using System.Text.Json;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.DependencyInjection;
using Qset.Caching;
using QsetDashboard.Tests.Infrastructure;

namespace QsetDashboard.Tests.Foreign;

/// <summary>The dashboard mounted at <c>/qset</c> in hosts that are not ours, with only the README's lines.</summary>
public sealed class ForeignHostTests
{
    private const string Token = "foreign-host-token-0123456789";

    private static async Task<HttpResponseMessage> NegotiateAsync(HttpClient client, string path)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, $"{path}_blazor/negotiate?negotiateVersion=1");
        return await client.SendAsync(request);
    }

    [Fact]
    public async Task UnderQset_PagesAssetsCircuitAndApiWork_AndTheHostKeepsItsEndpointAndDefaultScheme()
    {
        await using var host = await ForeignWebHost.StartAsync();
        using var client = host.Client();
        var product = Guid.NewGuid();
        await using (var db = host.Services.GetRequiredService<Microsoft.EntityFrameworkCore.IDbContextFactory<ShopDb>>().CreateDbContext())
        {
            db.Products.Add(new Product { Id = product, Name = "Kettle" });
            await db.SaveChangesAsync();
        }

        await host.Services.GetRequiredService<EntityCache<ShopDb>>().FindAsync<Product>(product);

        Assert.Equal(ForeignWebHost.Greeting, await client.GetStringAsync("/hello"));
        using (var bare = await client.GetAsync("/qset"))
        {
            Assert.Equal(HttpStatusCode.Redirect, bare.StatusCode);
            Assert.Equal("/qset/", bare.Headers.Location?.OriginalString);
        }

        var overview = await client.GetStringAsync("/qset/");
        Assert.Contains("<base href=\"/qset/\"", overview, StringComparison.Ordinal);
        Assert.Contains("Overview", overview, StringComparison.Ordinal);
        Assert.Contains($"ShopDb:Product.{product}", await client.GetStringAsync("/qset/cache"), StringComparison.Ordinal);
        Assert.NotEmpty(await client.GetStringAsync("/qset/_content/Qset.Dashboard/app.css"));
        Assert.NotEmpty(await client.GetStringAsync("/qset/_framework/blazor.web.js"));
        using (var negotiate = await NegotiateAsync(client, "/qset/"))
        {
            Assert.Equal(HttpStatusCode.OK, negotiate.StatusCode);
        }

        using var entries = JsonDocument.Parse(await client.GetStringAsync("/qset/api/cache/entries"));
        Assert.Contains(entries.RootElement.EnumerateArray(), e => e.GetProperty("key").GetString() == $"ShopDb:Product.{product}");

        // Nothing of the dashboard at the host's root, and the host's default scheme is still its own.
        using (var root = await client.GetAsync("/cache"))
        {
            Assert.Equal(HttpStatusCode.NotFound, root.StatusCode);
        }

        var schemes = host.Services.GetRequiredService<IAuthenticationSchemeProvider>();
        Assert.Equal(ForeignWebHost.HostScheme, (await schemes.GetDefaultAuthenticateSchemeAsync())?.Name);
        Assert.Equal(ForeignWebHost.HostScheme, (await schemes.GetDefaultChallengeSchemeAsync())?.Name);
    }

    [Fact]
    public async Task MapQsetDashboard_WithoutAddQsetDashboard_SaysWhatIsMissing()
    {
        var builder = WebApplication.CreateBuilder(new WebApplicationOptions { EnvironmentName = "Development" });
        builder.Services.AddOptions();
        builder.Services.AddQsetCache(builder.Configuration.GetSection("Qset"));
        await using var app = builder.Build();

        var error = Assert.Throws<InvalidOperationException>(() => app.MapQsetDashboard("/qset"));

        Assert.Contains("AddQsetDashboard", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task BeyondLoopback_TheDashboardAsksForItsToken_WhileTheHostsEndpointStaysAnonymous()
    {
        await using var host = await ForeignWebHost.StartAsync(loopbackOnly: false, token: Token);
        using var client = host.Client();

        Assert.Equal(ForeignWebHost.Greeting, await client.GetStringAsync("/hello"));
        using (var page = await client.GetAsync("/qset/"))
        {
            Assert.Equal(HttpStatusCode.Unauthorized, page.StatusCode);
        }

        using (var api = await client.GetAsync("/qset/api/cache/stats"))
        {
            Assert.Equal(HttpStatusCode.Unauthorized, api.StatusCode);
        }

        using var bearer = new HttpRequestMessage(HttpMethod.Get, "/qset/api/cache/stats");
        bearer.Headers.Authorization = new AuthenticationHeaderValue("Bearer", Token);
        using (var api = await client.SendAsync(bearer))
        {
            Assert.Equal(HttpStatusCode.OK, api.StatusCode);
        }

        using var login = await client.GetAsync($"/qset/login?t={Token}");
        Assert.Equal(HttpStatusCode.Redirect, login.StatusCode);
        Assert.Equal("/qset/", login.Headers.Location?.OriginalString);
        var cookie = Assert.Single(login.Headers.GetValues("Set-Cookie")).Split(';')[0];
        using var withCookie = new HttpRequestMessage(HttpMethod.Get, "/qset/cache");
        withCookie.Headers.Add("Cookie", cookie);
        using (var page = await client.SendAsync(withCookie))
        {
            Assert.Equal(HttpStatusCode.OK, page.StatusCode);
        }
    }

    [Fact]
    public async Task ChainedRequireAuthorization_PutsTheHostsPolicyInFrontOfTheWholeDashboard()
    {
        await using var host = await ForeignWebHost.StartAsync(chain: d => d.RequireAuthorization(ForeignWebHost.HostPolicy));
        using var client = host.Client();

        // Loopback, so the dashboard's own gate would let it in: the host's policy is what answers.
        using (var page = await client.GetAsync("/qset/cache"))
        {
            Assert.Equal(HttpStatusCode.Redirect, page.StatusCode);
            Assert.Contains("/Account/Login", page.Headers.Location?.OriginalString, StringComparison.Ordinal);
        }

        using (var asset = await client.GetAsync("/qset/_content/Qset.Dashboard/app.css"))
        {
            Assert.Equal(HttpStatusCode.Redirect, asset.StatusCode);
        }

        using var signIn = await client.GetAsync("/signin");
        var cookie = Assert.Single(signIn.Headers.GetValues("Set-Cookie")).Split(';')[0];
        using var signedIn = new HttpRequestMessage(HttpMethod.Get, "/qset/cache");
        signedIn.Headers.Add("Cookie", cookie);
        using (var page = await client.SendAsync(signedIn))
        {
            Assert.Equal(HttpStatusCode.OK, page.StatusCode);
        }

        Assert.Equal(ForeignWebHost.Greeting, await client.GetStringAsync("/hello"));
    }

    [Fact]
    public async Task InABlazorHost_BothAppsAndBothCircuitsWork()
    {
        await using var host = await ForeignWebHost.StartAsync(blazorHost: true);
        using var client = host.Client();

        Assert.Contains("The shop's own home page", await client.GetStringAsync("/"), StringComparison.Ordinal);
        Assert.Contains("<base href=\"/qset/\"", await client.GetStringAsync("/qset/"), StringComparison.Ordinal);
        Assert.NotEmpty(await client.GetStringAsync("/_framework/blazor.web.js"));
        using (var own = await NegotiateAsync(client, "/"))
        {
            Assert.Equal(HttpStatusCode.OK, own.StatusCode);
        }

        using (var dashboard = await NegotiateAsync(client, "/qset/"))
        {
            Assert.Equal(HttpStatusCode.OK, dashboard.StatusCode);
        }

        // Still the host's page after the dashboard built its routes.
        Assert.Contains("The shop's own home page", await client.GetStringAsync("/"), StringComparison.Ordinal);
    }
}
