using System.Net;

namespace Qset.Dashboard.Security;

/// <summary>
/// On a loopback bind, answers 400 to a request whose Host is not a loopback name. A DNS-rebinding page reaches
/// 127.0.0.1 under its own host name (evil.example); refusing that name is what keeps it from reading the API.
/// On any other bind the configured <c>AllowedHosts</c> applies, as ASP.NET Core's host filtering enforces it.
/// </summary>
internal sealed class LoopbackHostFilter(RequestDelegate next, DashboardGate gate)
{
    public Task InvokeAsync(HttpContext context)
    {
        if (!gate.IsOpen || IsLoopbackName(context.Request.Host.Host))
        {
            return next(context);
        }

        return RequestProblems.WriteAsync(context, StatusCodes.Status400BadRequest, "Host not allowed.",
            "The dashboard listens on loopback only and answers only to the Host names localhost, 127.0.0.1 and [::1].");
    }

    /// <summary>True for <c>localhost</c> and loopback address literals such as <c>127.0.0.1</c> and <c>[::1]</c>.</summary>
    public static bool IsLoopbackName(string host) =>
        string.Equals(host, "localhost", StringComparison.OrdinalIgnoreCase)
        || (IPAddress.TryParse(host.Trim('[', ']'), out var address) && IPAddress.IsLoopback(address));
}
