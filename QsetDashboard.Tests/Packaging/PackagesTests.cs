using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using QsetDashboard.Tests.Browser;
using QsetDashboard.Tests.Infrastructure;
using static Microsoft.Playwright.Assertions;

namespace QsetDashboard.Tests.Packaging;

/// <summary>The Release builds of the repository's projects run one class at a time: two at once would share obj/ folders.</summary>
[CollectionDefinition(Name)]
public sealed class ReleaseBuilds
{
    public const string Name = "release builds";
}

/// <summary>A fresh <c>dotnet new web</c> app with the two packed packages: it builds, starts and serves <c>/qset</c>.</summary>
[Collection(ReleaseBuilds.Name)]
public sealed class PackagesTests(PackedShop shop, ChromiumFixture chromium) : IClassFixture<PackedShop>, IClassFixture<ChromiumFixture>
{
    [Fact]
    public async Task DotnetPack_MakesBothPackages_AndAFreshWebAppServesTheDashboardAtQset()
    {
        Assert.Equal(2, shop.Packages.Count);
        Assert.Contains(shop.Packages, p => p.StartsWith("Qset.Caching.", StringComparison.Ordinal));
        Assert.Contains(shop.Packages, p => p.StartsWith("Qset.Dashboard.", StringComparison.Ordinal));
        foreach (var package in shop.Packages)
        {
            // A package page: its README in the package, named by the nuspec, with the description, tags and license.
            using var zip = System.IO.Compression.ZipFile.OpenRead(Path.Combine(shop.PackageFolder, package));
            Assert.NotNull(zip.GetEntry("README.md"));
            using var reader = new StreamReader(zip.Entries.Single(e => e.FullName.EndsWith(".nuspec", StringComparison.Ordinal)).Open());
            var nuspec = await reader.ReadToEndAsync();
            Assert.Contains("<readme>README.md</readme>", nuspec, StringComparison.Ordinal);
            Assert.Contains("<license type=\"expression\">MIT</license>", nuspec, StringComparison.Ordinal);
            Assert.Contains("<tags>efcore cache", nuspec, StringComparison.Ordinal);
        }

        await using var app = await AppProcess.StartAsync(AppProcess.DotnetHost(), ["run", "--no-build"], shop.ShopFolder);
        using var client = new HttpClient { BaseAddress = app.BaseAddress };
        Assert.Equal("Hello World!", await client.GetStringAsync("/"));

        using var created = await client.PostAsJsonAsync("/products", new { id = Guid.NewGuid(), name = "Mug" });
        Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        var id = (await created.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("id").GetGuid();
        Assert.Equal("Mug", (await client.GetFromJsonAsync<JsonElement>($"/products/{id}")).GetProperty("name").GetString());

        using var entries = JsonDocument.Parse(await client.GetStringAsync("/qset/api/cache/entries"));
        Assert.Contains(entries.RootElement.EnumerateArray(), e => e.GetProperty("key").GetString() == $"ShopDb:Product.{id}");
        Assert.NotEmpty(await client.GetStringAsync("/qset/_framework/blazor.web.js"));
        Assert.Contains("Healthy", await client.GetStringAsync("/health"), StringComparison.Ordinal);

        var page = await BrowserFixture.NewPageAsync(chromium.Browser, app.BaseAddress);
        await page.OpenAsync("/qset/cache");
        await Expect(page.Locator($"[data-testid=cache-row][data-key='ShopDb:Product.{id}']")).ToHaveCountAsync(1);
        await page.Context.CloseAsync();
    }
}
