using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authentication.Cookies;
using Microsoft.AspNetCore.Authorization;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;

namespace QsetDashboard.Security;

/// <summary>
/// The token gate, modelled on the .NET Aspire dashboard's browser token: open on loopback; on any other
/// address every endpoint but <c>/login</c> and <c>/health</c> needs the auth cookie (from <c>/login?t=TOKEN</c>)
/// or <c>Authorization: Bearer TOKEN</c>, and answers 401 otherwise.
/// </summary>
public static class DashboardSecurityExtensions
{
    /// <summary>The path that trades the token for the cookie.</summary>
    public const string LoginPath = "/login";

    /// <summary>The name of the auth cookie.</summary>
    public const string CookieName = ".QsetDashboard.Auth";

    private const string PolicyScheme = "Dashboard";
    private const string CookieScheme = CookieAuthenticationDefaults.AuthenticationScheme;
    private const string TokenScheme = "DashboardToken";

    private const string LoginHint =
        "401: this dashboard listens on a non-loopback address and needs its token. " +
        "Open the login URL printed in the app's log (" + LoginPath + "?t=...), or call the API with 'Authorization: Bearer <token>'.";

    /// <summary>Registers the gate, cookie and bearer authentication, and the fallback authorization policy.</summary>
    public static IHostApplicationBuilder AddDashboardSecurity(this IHostApplicationBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);
        var services = builder.Services;
        services.AddOptions<DashboardSecurityOptions>()
            .Bind(builder.Configuration.GetSection(DashboardSecurityOptions.SectionName))
            .ValidateOnStart();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<DashboardSecurityOptions>, DashboardSecurityOptionsValidator>());
        services.TryAddSingleton<DashboardGate>();
        services.AddHostedService<DashboardGateStartup>();
        services.AddSingleton<IAuthorizationHandler, DashboardAccessHandler>();

        services.AddAuthentication(PolicyScheme)
            .AddPolicyScheme(PolicyScheme, "Dashboard cookie or bearer token", o => o.ForwardDefaultSelector = context =>
                context.Request.Headers.Authorization.ToString().StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase)
                    ? TokenScheme
                    : CookieScheme)
            .AddCookie(CookieScheme, o =>
            {
                o.Cookie.Name = CookieName;
                o.Cookie.HttpOnly = true;
                o.Cookie.SameSite = SameSiteMode.Lax;
                o.Cookie.SecurePolicy = CookieSecurePolicy.SameAsRequest;
                o.ExpireTimeSpan = TimeSpan.FromDays(3);
                o.SlidingExpiration = true;
                o.Events.OnValidatePrincipal = DashboardSession.ValidateAsync;

                // No login form to redirect to: the answer is 401 with a hint, for pages and API alike.
                o.Events.OnRedirectToLogin = context => WriteUnauthorizedAsync(context.Response);
                o.Events.OnRedirectToAccessDenied = context =>
                {
                    context.Response.StatusCode = StatusCodes.Status403Forbidden;
                    return Task.CompletedTask;
                };
            })
            .AddScheme<AuthenticationSchemeOptions, TokenAuthenticationHandler>(TokenScheme, null);

        services.AddAuthorizationBuilder()
            .SetFallbackPolicy(new AuthorizationPolicyBuilder().AddRequirements(new DashboardAccessRequirement()).Build());
        return builder;
    }

    /// <summary>
    /// Adds the loopback Host filter, the cross-site write guard, authentication and authorization to the
    /// pipeline, and maps <c>/login</c>.
    /// </summary>
    public static WebApplication UseDashboardSecurity(this WebApplication app)
    {
        ArgumentNullException.ThrowIfNull(app);
        app.UseMiddleware<LoopbackHostFilter>();
        app.UseMiddleware<CrossSiteWriteGuard>();
        app.UseAuthentication();
        app.UseAuthorization();
        app.MapGet(LoginPath, LoginAsync).AllowAnonymous().ExcludeFromDescription();
        return app;
    }

    private static async Task<IResult> LoginAsync(string? t, HttpContext context, DashboardGate gate)
    {
        if (gate.IsOpen)
        {
            return Results.LocalRedirect("/");
        }

        if (!gate.Matches(t?.Trim()))
        {
            return Results.Text("401: the token is not valid. Use the login URL printed in the app's log.", "text/plain", statusCode: StatusCodes.Status401Unauthorized);
        }

        await context.SignInAsync(CookieScheme, DashboardSession.PrincipalFor(gate.Token), new AuthenticationProperties { IsPersistent = true });

        // Redirecting drops the token from the address bar and the history.
        return Results.LocalRedirect("/");
    }

    private static Task WriteUnauthorizedAsync(HttpResponse response)
    {
        response.StatusCode = StatusCodes.Status401Unauthorized;
        response.ContentType = "text/plain; charset=utf-8";
        return response.WriteAsync(LoginHint);
    }
}
