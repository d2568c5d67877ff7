using System.Security.Claims;
using System.Security.Cryptography;
using System.Text;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authentication.Cookies;

namespace Qset.Dashboard.Security;

/// <summary>
/// The login cookie's identity, bound to the token it was traded for: it carries a hash of that token and is
/// checked against the current token on every request, so a new token ends every session, even when the
/// data-protection keys (which decrypt the cookie) outlive a restart.
/// </summary>
internal static class DashboardSession
{
    /// <summary>The claim holding the SHA-256 of the token the cookie was issued for.</summary>
    public const string TokenHashClaim = "qset:token-sha256";

    /// <summary>The signed-in browser, bound to <paramref name="token"/>.</summary>
    public static ClaimsPrincipal PrincipalFor(string token, string scheme) =>
        new(new ClaimsIdentity(
            [new Claim(ClaimTypes.Name, "dashboard-browser"), new Claim(TokenHashClaim, HashOf(token))],
            scheme));

    /// <summary>The hash a cookie carries for <paramref name="token"/>.</summary>
    public static string HashOf(string token) => Convert.ToBase64String(SHA256.HashData(Encoding.UTF8.GetBytes(token)));

    /// <summary>Rejects, and deletes, a cookie that was issued for another token (or before cookies were bound).</summary>
    public static async Task ValidateAsync(CookieValidatePrincipalContext context)
    {
        var gate = context.HttpContext.RequestServices.GetRequiredService<DashboardGate>();
        if (gate.IsTokenHash(context.Principal?.FindFirst(TokenHashClaim)?.Value))
        {
            return;
        }

        context.RejectPrincipal();
        await context.HttpContext.SignOutAsync(context.Scheme.Name);
    }
}
