using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authentication.Cookies;
using Microsoft.AspNetCore.Authorization;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;

namespace Qset.Dashboard.Security;

/// <summary>
/// The token gate, modelled on the .NET Aspire dashboard's browser token, as a named scheme and a named policy that
/// only the dashboard's endpoints use: open while the app listens on loopback only; on any other address the dashboard
/// needs the auth cookie (from <c>{mount}/login?t=TOKEN</c>) or <c>Authorization: Bearer TOKEN</c>, and answers 401
/// otherwise. The host's default scheme, default policy and fallback policy are left as they are.
/// </summary>
internal static class DashboardSecurityExtensions
{
    /// <summary>The path, under the mount, that trades the token for the cookie.</summary>
    public const string LoginPath = "/login";

    /// <summary>The name of the auth cookie.</summary>
    public const string CookieName = ".QsetDashboard.Auth";

    internal const string CookieScheme = QsetDashboardDefaults.AuthenticationScheme + ".Cookie";
    private const string TokenScheme = QsetDashboardDefaults.AuthenticationScheme + ".Token";

    private const string LoginHint =
        "401: this dashboard listens on a non-loopback address and needs its token. " +
        "Open the login URL printed in the app's log (" + LoginPath + "?t=...), or call the API with 'Authorization: Bearer <token>'.";

    /// <summary>Registers the gate, the dashboard's cookie and bearer schemes under their own names, and its policy.</summary>
    public static IServiceCollection AddDashboardSecurity(this IServiceCollection services)
    {
        services.AddOptions<DashboardSecurityOptions>().BindConfiguration(DashboardSecurityOptions.SectionName).ValidateOnStart();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<DashboardSecurityOptions>, DashboardSecurityOptionsValidator>());
        services.TryAddSingleton<DashboardGate>();
        services.AddHostedService<DashboardGateStartup>();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IAuthorizationHandler, DashboardAccessHandler>());

        // AddAuthentication() with no argument sets no default scheme. A host with one scheme of its own and no default
        // relied on ASP.NET Core choosing that one; ours would make it three, so name it the default, as it was.
        services.AddAuthentication()
            .AddPolicyScheme(QsetDashboardDefaults.AuthenticationScheme, "Qset dashboard cookie or bearer token", o => o.ForwardDefaultSelector = context =>
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
        services.PostConfigure<AuthenticationOptions>(KeepTheHostsOnlyScheme);

        services.AddAuthorizationBuilder().AddPolicy(QsetDashboardDefaults.Policy, p => p
            .AddAuthenticationSchemes(QsetDashboardDefaults.AuthenticationScheme)
            .AddRequirements(new DashboardAccessRequirement()));
        return services;
    }

    /// <summary>Trades the token for the dashboard's cookie, then sends the browser to the dashboard's overview.</summary>
    public static async Task<IResult> LoginAsync(string? t, HttpContext context, DashboardGate gate)
    {
        var overview = $"{context.Request.PathBase}/";
        if (gate.IsOpen)
        {
            return Results.LocalRedirect(overview);
        }

        if (!gate.Matches(t?.Trim()))
        {
            return Results.Text("401: the token is not valid. Use the login URL printed in the app's log.", "text/plain", statusCode: StatusCodes.Status401Unauthorized);
        }

        await context.SignInAsync(CookieScheme, DashboardSession.PrincipalFor(gate.Token, CookieScheme), new AuthenticationProperties { IsPersistent = true });

        // Redirecting drops the token from the address bar and the history.
        return Results.LocalRedirect(overview);
    }

    private static void KeepTheHostsOnlyScheme(AuthenticationOptions options)
    {
        if (options.DefaultScheme is not null)
        {
            return;
        }

        var hosts = options.Schemes.Where(s => !s.Name.StartsWith(QsetDashboardDefaults.AuthenticationScheme, StringComparison.Ordinal)).Take(2).ToList();
        if (hosts.Count == 1)
        {
            options.DefaultScheme = hosts[0].Name;
        }
    }

    private static Task WriteUnauthorizedAsync(HttpResponse response)
    {
        response.StatusCode = StatusCodes.Status401Unauthorized;
        response.ContentType = "text/plain; charset=utf-8";
        return response.WriteAsync(LoginHint);
    }
}
