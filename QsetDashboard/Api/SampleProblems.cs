using System.Globalization;
using Qset.Dashboard.Api;
using QsetDashboard.Data;

namespace QsetDashboard.Api;

/// <summary>The sample API's own error answers (beside the dashboard's <see cref="ApiProblems"/>), all ProblemDetails.</summary>
internal static class SampleProblems
{
    public static IResult Conflict(string detail) =>
        TypedResults.Problem(detail, statusCode: StatusCodes.Status409Conflict, title: "Conflict.");

    public static IResult Reserved(string detail) =>
        TypedResults.Problem(detail, statusCode: StatusCodes.Status409Conflict, title: "Reserved for the demos.");

    public static IResult UnsupportedMediaType(string? contentType) =>
        TypedResults.Problem(
            $"The body must be sent as 'Content-Type: application/json', not '{contentType ?? "(none)"}'.",
            statusCode: StatusCodes.Status415UnsupportedMediaType, title: "Unsupported media type.");

    public static IResult TooLarge(long maxBytes) =>
        TypedResults.Problem($"The body must be at most {maxBytes} bytes.", statusCode: StatusCodes.Status413PayloadTooLarge, title: "The body is too large.");

    /// <summary>The status Kestrel gave a body it could not read (413, 400, 408), as ProblemDetails.</summary>
    public static IResult FromBadRequest(BadHttpRequestException exception) => exception.StatusCode switch
    {
        StatusCodes.Status413PayloadTooLarge => TooLarge(EntityInput.MaxBodyBytes),
        StatusCodes.Status408RequestTimeout => TypedResults.Problem(
            $"The body arrived too slowly or never in full: {exception.Message}", statusCode: exception.StatusCode, title: "The request body timed out."),
        _ => TypedResults.Problem($"The body could not be read: {exception.Message}", statusCode: exception.StatusCode, title: "The request body is not valid."),
    };

    /// <summary>Parses a route id: a positive 32-bit integer, digits only.</summary>
    public static bool TryParseId(string? text, out int id, out IResult? problem)
    {
        if (ApiProblems.TryParseDigits(text, out var value) && ModelRules.ValidateId(value) is null)
        {
            id = (int)value;
            problem = null;
            return true;
        }

        id = 0;
        problem = ApiProblems.BadRequest("id", ModelRules.ValidateId(0)!);
        return false;
    }
}
