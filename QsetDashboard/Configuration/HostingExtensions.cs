using Microsoft.EntityFrameworkCore;
using QsetDashboard.Api;
using Qset.Caching;
using QsetDashboard.Data;

namespace QsetDashboard.Configuration;

/// <summary>Every registration the app makes, in one place (Program.cs stays short).</summary>
internal static class HostingExtensions
{
    public static IHostApplicationBuilder AddApplicationServices(this IHostApplicationBuilder builder)
    {
        var provider = builder.Configuration.GetValue(DatabaseSetup.ProviderKey, SampleDatabase.Sqlite);
        var connectionString = DatabaseSetup.ResolveConnectionString(
            provider,
            builder.Configuration.GetConnectionString(DatabaseSetup.ConnectionStringName),
            builder.Environment.ContentRootPath);
        builder.Services.AddQsetSample(connectionString, provider);

        builder.Services.AddQsetCache(builder.Configuration.GetSection(CacheOptions.SectionName));
        builder.Services.AddQsetDemos();
        builder.Services.AddQsetLoadLab();

        builder.Services.AddProblemDetails();
        builder.Services.AddSingleton<DatabaseWriteProbe>();
        builder.Services.AddHealthChecks()
            .AddCheck<DatabaseHealthCheck>("database")
            .AddQsetCache("cache");

        // The dashboard, with the sample's pages (demos, race lab, playground, compare, load lab) joined to it.
        builder.Services.AddQsetDashboard(o =>
        {
            o.AdditionalAssemblies.Add(typeof(Program).Assembly);
            o.NavigationExtension = typeof(Components.Layout.SampleNav);
        });
        builder.Services.AddQsetSampleModel();
        return builder;
    }

    /// <summary>Migrates the database before the first request (the seed's <c>manage.py migrate</c>).</summary>
    public static async Task PrepareDatabaseAsync(this WebApplication app) =>
        await DatabaseSetup.MigrateAsync(app.Services.GetRequiredService<IDbContextFactory<QsetsDbContext>>());
}
