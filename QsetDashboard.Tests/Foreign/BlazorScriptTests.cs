using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using QsetDashboard.Tests.Infrastructure;

namespace QsetDashboard.Tests.Foreign;

/// <summary>A host whose build ships no <c>blazor.web.js</c> is told so at start, with the fix, instead of a dashboard that never connects.</summary>
public sealed class BlazorScriptTests
{
    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task AHostWithoutBlazorWebJs_IsToldTheFixAtStart_AndAHostWithItIsNot(bool shipsTheScript)
    {
        // A build's static web assets manifest, as a project without RequiresAspNetWebAssets writes it (no framework files).
        var name = $"QsetNoScript{Guid.NewGuid():N}";
        var manifest = Path.Combine(AppContext.BaseDirectory, $"{name}.staticwebassets.endpoints.json");
        var script = shipsTheScript
            ? """
              {"Route":"_framework/blazor.web.js","AssetFile":"_framework/blazor.web.js","Selectors":[],"EndpointProperties":[],
               "ResponseHeaders":[{"Name":"Content-Length","Value":"1"},{"Name":"Content-Type","Value":"text/javascript"},
                                  {"Name":"ETag","Value":"\"x\""},{"Name":"Last-Modified","Value":"Sat, 22 Aug 2026 16:09:12 GMT"}]}
              """
            : "";
        await File.WriteAllTextAsync(manifest, $$"""{"Version":1,"ManifestType":"Build","Endpoints":[{{script}}]}""");
        var logs = new ListLoggerProvider();
        try
        {
            var builder = WebApplication.CreateBuilder(new WebApplicationOptions
            {
                ApplicationName = name,
                EnvironmentName = Environments.Production,
                ContentRootPath = AppContext.BaseDirectory,
            });
            builder.Logging.ClearProviders().AddProvider(logs);
            builder.Services.AddQsetCache(builder.Configuration.GetSection("Qset"));
            builder.Services.AddQsetDashboard();
            await using var app = builder.Build();

            app.MapQsetDashboard("/qset");

            var warned = logs.Lines.Where(l => l.Contains("blazor.web.js", StringComparison.Ordinal)).ToList();
            if (shipsTheScript)
            {
                Assert.Empty(warned);
            }
            else
            {
                var line = Assert.Single(warned);
                Assert.StartsWith("Error Qset.Dashboard:", line, StringComparison.Ordinal);
                Assert.Contains("<RequiresAspNetWebAssets>true</RequiresAspNetWebAssets>", line, StringComparison.Ordinal);
            }
        }
        finally
        {
            File.Delete(manifest);
        }
    }
}
