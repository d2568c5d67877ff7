using Microsoft.EntityFrameworkCore;
using MudBlazor.Services;
using QsetDashboard.Api;
using QsetDashboard.Caching;
using QsetDashboard.Data;

namespace QsetDashboard.Configuration;

/// <summary>Every registration the app makes, in one place (Program.cs stays short).</summary>
internal static class HostingExtensions
{
    public static IHostApplicationBuilder AddApplicationServices(this IHostApplicationBuilder builder)
    {
        var connectionString = DatabaseSetup.ResolveConnectionString(
            builder.Configuration.GetConnectionString(DatabaseSetup.ConnectionStringName),
            builder.Environment.ContentRootPath);
        builder.Services.AddDbContextFactory<QsetsDbContext>(options => options.UseSqlite(connectionString));

        builder.Services.AddQsetCache(builder.Configuration.GetSection(CacheOptions.SectionName));
        builder.Services.AddQsetDemos();
        builder.Services.AddQsetLoadLab();

        builder.Services.AddProblemDetails();
        builder.Services.AddHealthChecks()
            .AddCheck<DatabaseHealthCheck>("database")
            .AddCheck<CacheStoreHealthCheck>("cache");

        builder.Services.AddRazorComponents().AddInteractiveServerComponents();
        builder.Services.AddMudServices();
        return builder;
    }

    /// <summary>Migrates the database and starts the meter before the first request.</summary>
    public static async Task PrepareDatabaseAsync(this WebApplication app)
    {
        await DatabaseSetup.MigrateAsync(app.Services.GetRequiredService<IDbContextFactory<QsetsDbContext>>());
        app.Services.GetRequiredService<CacheMetrics>();
    }
}
