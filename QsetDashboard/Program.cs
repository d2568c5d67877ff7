using QsetDashboard.Api;
using QsetDashboard.Configuration;

var builder = WebApplication.CreateBuilder(args);

// `dotnet run` serves from the build output, where the static web assets (MudBlazor's, blazor.web.js, our
// wwwroot-assets) are described by a runtime manifest that ASP.NET Core reads only in Development by default.
// Reading it in every environment is what makes the README's command work in Production; a published app
// has no such manifest and serves its wwwroot as usual.
builder.WebHost.UseStaticWebAssets();
builder.AddApplicationServices();

var app = builder.Build();

if (!app.Environment.IsDevelopment())
{
    app.UseExceptionHandler();
}

app.UseStatusCodePages();

// The sample's own endpoints get the dashboard's guards too: it is all one dashboard to its users.
app.UseQsetDashboardGuards();
app.UseAuthentication();
app.UseAuthorization();
app.UseAntiforgery();

app.MapStaticAssets();
app.MapQsetApi();

// The dashboard at the root, so the sample's URLs (/, /cache, /events, /api/cache/*) are the dashboard's.
app.MapQsetDashboard("/");

await app.PrepareDatabaseAsync();
await app.RunAsync();

/// <summary>The app's entry point; public so that tests can host it.</summary>
public partial class Program;
