namespace Qset.Dashboard.Security;

/// <summary>Writes a middleware's refusal as ProblemDetails, as the endpoints answer theirs, without needing the host's ProblemDetails service.</summary>
internal static class RequestProblems
{
    public static Task WriteAsync(HttpContext context, int status, string title, string detail) =>
        TypedResults.Problem(detail, statusCode: status, title: title).ExecuteAsync(context);
}
