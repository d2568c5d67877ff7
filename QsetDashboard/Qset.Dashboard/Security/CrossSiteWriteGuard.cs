namespace Qset.Dashboard.Security;

/// <summary>
/// Answers 403 to a state-changing request (POST, PUT, PATCH, DELETE) or a WebSocket handshake that a browser
/// sent from another origin: an <c>Origin</c> other than the request's own scheme, host and port, or a
/// <c>Sec-Fetch-Site</c> of <c>cross-site</c> or <c>same-site</c> (another port or subdomain is another app).
/// A request with neither header did not come from a web page (curl, API clients) and passes, as do the app's
/// own pages, whose browsers send their own origin.
/// </summary>
internal sealed class CrossSiteWriteGuard(RequestDelegate next)
{
    public Task InvokeAsync(HttpContext context)
    {
        var request = context.Request;
        if (!ChangesState(request) || Refusal(request) is not { } why)
        {
            return next(context);
        }

        return RequestProblems.WriteAsync(context, StatusCodes.Status403Forbidden, "Cross-site request refused.", why);
    }

    // WebSocket handshakes are GETs that CORS never guards; the Blazor circuit's socket is one.
    private static bool ChangesState(HttpRequest request) =>
        HttpMethods.IsPost(request.Method) || HttpMethods.IsPut(request.Method) || HttpMethods.IsPatch(request.Method)
        || HttpMethods.IsDelete(request.Method) || HttpMethods.IsConnect(request.Method)
        || request.Headers.Upgrade.Any(u => u?.Contains("websocket", StringComparison.OrdinalIgnoreCase) == true);

    private static string? Refusal(HttpRequest request)
    {
        var fetchSite = request.Headers["Sec-Fetch-Site"].ToString();
        if (string.Equals(fetchSite, "cross-site", StringComparison.OrdinalIgnoreCase)
            || string.Equals(fetchSite, "same-site", StringComparison.OrdinalIgnoreCase))
        {
            return $"A {request.Method} from a page of another site or port (Sec-Fetch-Site: {fetchSite}) cannot change the dashboard.";
        }

        var origins = request.Headers.Origin;
        if (origins.Count == 0)
        {
            return null;
        }

        var origin = origins.ToString();
        return origins.Count == 1 && IsOwnOrigin(origin, request)
            ? null
            : $"A {request.Method} from the origin '{origin}' cannot change the dashboard, which is served at {request.Scheme}://{request.Host}.";
    }

    /// <summary>True when <paramref name="origin"/> is the scheme, host and port the request was sent to.</summary>
    public static bool IsOwnOrigin(string origin, HttpRequest request)
    {
        // "null" (a sandboxed frame, a file: page) is never anyone's own origin.
        if (!Uri.TryCreate(origin, UriKind.Absolute, out var uri) || uri.PathAndQuery != "/" || !request.Host.HasValue)
        {
            return false;
        }

        // The request's host read as a URI too, so both sides are in canonical form: an IPv6 literal written out in
        // full ([0:0:0:0:0:0:0:1]) is the same host as its short form ([::1]), whichever side wrote which.
        if (!Uri.TryCreate($"{request.Scheme}://{request.Host.Host}", UriKind.Absolute, out var own))
        {
            return false;
        }

        var port = request.Host.Port ?? (request.IsHttps ? 443 : 80);
        return string.Equals(uri.Scheme, request.Scheme, StringComparison.OrdinalIgnoreCase)
            && string.Equals(uri.IdnHost, own.IdnHost, StringComparison.OrdinalIgnoreCase)
            && uri.Port == port;
    }
}
