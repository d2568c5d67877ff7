using QsetDashboard.Tests.Browser;
using QsetDashboard.Tests.Infrastructure;

namespace QsetDashboard.Tests.Packaging;

/// <summary>
/// The two packages as a user gets them: <c>dotnet pack</c> of Qset.Caching and Qset.Dashboard into a folder, then a fresh
/// <c>dotnet new web</c> app that references both from that folder, wires them in the README's lines, and builds. Each
/// run packs a version of its own (and removes it from the NuGet cache afterwards), so no run sees another's package.
/// </summary>
public sealed class PackedShop : IAsyncLifetime
{
    private static readonly TimeSpan StepTimeout = TimeSpan.FromMinutes(5);

    private readonly string _folder = Path.Combine(Path.GetTempPath(), "qset-tests", "packed-" + Guid.NewGuid().ToString("N"));
    private readonly string _version = $"0.1.0-ci.{DateTime.UtcNow:yyyyMMddHHmmss}.{Random.Shared.Next(100_000)}";

    /// <summary>The folder of the fresh app, built.</summary>
    public string ShopFolder => Path.Combine(_folder, "Shop");

    /// <summary>The folder <c>dotnet pack</c> wrote the packages to.</summary>
    public string PackageFolder => Path.Combine(_folder, "packages");

    /// <summary>The packages <c>dotnet pack</c> made.</summary>
    public IReadOnlyList<string> Packages => [.. Directory.GetFiles(Path.Combine(_folder, "packages"), "*.nupkg").Select(Path.GetFileName)!];

    public async Task InitializeAsync()
    {
        var packages = Path.Combine(_folder, "packages");
        var root = BrowserPages.RepositoryRoot();
        foreach (var project in new[] { "QsetDashboard/Qset.Caching/Qset.Caching.csproj", "QsetDashboard/Qset.Dashboard/Qset.Dashboard.csproj" })
        {
            await RunAsync(root, "pack", project, "-c", "Release", "-o", packages, $"-p:Version={_version}", "--nologo", "--disable-build-servers");
        }

        await RunAsync(_folder, "new", "web", "-o", "Shop", "--no-restore");
        await File.WriteAllTextAsync(Path.Combine(_folder, "nuget.config"), $"""
            <?xml version="1.0" encoding="utf-8"?>
            <configuration>
              <packageSources>
                <add key="qset" value="{packages}" />
                <add key="nuget.org" value="https://api.nuget.org/v3/index.json" />
              </packageSources>
            </configuration>
            """);
        await File.WriteAllTextAsync(Path.Combine(ShopFolder, "Shop.csproj"), $"""
            <Project Sdk="Microsoft.NET.Sdk.Web">
              <PropertyGroup>
                <TargetFramework>net10.0</TargetFramework>
                <Nullable>enable</Nullable>
                <ImplicitUsings>enable</ImplicitUsings>
                <!-- A host with no Blazor of its own ships the framework's blazor.web.js for the dashboard. -->
                <RequiresAspNetWebAssets>true</RequiresAspNetWebAssets>
              </PropertyGroup>
              <ItemGroup>
                <PackageReference Include="Qset.Caching" Version="{_version}" />
                <PackageReference Include="Qset.Dashboard" Version="{_version}" />
                <PackageReference Include="Microsoft.EntityFrameworkCore.Sqlite" Version="10.0.15" />
              </ItemGroup>
            </Project>
            """);
        await File.WriteAllTextAsync(Path.Combine(ShopFolder, "Program.cs"), ShopProgram);
        await RunAsync(ShopFolder, "build", "--nologo", "--disable-build-servers");
    }

    public Task DisposeAsync()
    {
        var cache = Environment.GetEnvironmentVariable("NUGET_PACKAGES") is { Length: > 0 } configured
            ? configured
            : Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".nuget", "packages");
        foreach (var folder in new[] { _folder, Path.Combine(cache, "qset.caching", _version), Path.Combine(cache, "qset.dashboard", _version) })
        {
            try
            {
                if (Directory.Exists(folder))
                {
                    Directory.Delete(folder, recursive: true);
                }

                // The package id's folder in the cache, when this run's version was all it held.
                if (Path.GetDirectoryName(folder) is { } id && id.StartsWith(cache, StringComparison.Ordinal)
                    && Directory.Exists(id) && !Directory.EnumerateFileSystemEntries(id).Any())
                {
                    Directory.Delete(id);
                }
            }
            catch (IOException)
            {
                // A file still held by a process being killed; the OS temp cleaner takes it.
            }
        }

        return Task.CompletedTask;
    }

    private static Task RunAsync(string workingDirectory, params string[] arguments) =>
        DotnetCommand.RunAsync(workingDirectory, StepTimeout, arguments);

    /// <summary>The fresh app's Program.cs: the README's "Add Qset to your app" lines over a shop of its own.</summary>
    private const string ShopProgram = """
        using Microsoft.EntityFrameworkCore;
        using Qset.Caching;

        var builder = WebApplication.CreateBuilder(args);
        var connectionString = builder.Configuration.GetConnectionString("Shop") ?? "Data Source=shop.db";

        builder.Services.AddDbContextFactory<ShopDb>((sp, o) => o.UseSqlite(connectionString).UseQsetCache(sp));
        builder.Services.AddQsetCache(builder.Configuration.GetSection("Qset"));
        builder.Services.AddQsetDashboard();
        builder.Services.AddHealthChecks().AddQsetCache();

        var app = builder.Build();
        app.MapGet("/", () => "Hello World!");
        app.MapGet("/products/{id:guid}", async (Guid id, EntityCache<ShopDb> cache) =>
            await cache.FindAsync<Product>(id) is { } product ? Results.Ok(product) : Results.NotFound());
        app.MapPost("/products", async (Product product, IDbContextFactory<ShopDb> factory) =>
        {
            await using var db = await factory.CreateDbContextAsync();
            db.Products.Add(product);
            await db.SaveChangesAsync();
            return Results.Created($"/products/{product.Id}", product);
        });
        app.MapHealthChecks("/health");
        app.MapQsetDashboard("/qset");

        await using (var db = await app.Services.GetRequiredService<IDbContextFactory<ShopDb>>().CreateDbContextAsync())
        {
            await db.Database.EnsureDeletedAsync();
            await db.Database.EnsureCreatedAsync();
        }

        app.Run();

        public sealed class ShopDb(DbContextOptions<ShopDb> options) : DbContext(options)
        {
            public DbSet<Product> Products => Set<Product>();
        }

        public sealed class Product
        {
            public Guid Id { get; set; }

            public string Name { get; set; } = "";
        }
        """;
}
