using QsetDashboard.Api;
using QsetDashboard.Components;
using QsetDashboard.Configuration;
using QsetDashboard.Security;

var builder = WebApplication.CreateBuilder(args);
builder.AddApplicationServices();

var app = builder.Build();

if (!app.Environment.IsDevelopment())
{
    app.UseExceptionHandler();
}

app.UseStatusCodePages();
app.UseDashboardSecurity();
app.UseAntiforgery();

app.MapStaticAssets();
app.MapQsetApi();
app.MapRazorComponents<App>()
    .AddInteractiveServerRenderMode();

await app.PrepareDatabaseAsync();
await app.RunAsync();

/// <summary>The app's entry point; public so that tests can host it.</summary>
public partial class Program;
