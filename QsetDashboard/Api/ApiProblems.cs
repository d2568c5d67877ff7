using System.Globalization;
using QsetDashboard.Data;

namespace QsetDashboard.Api;

/// <summary>The API's error answers, all ProblemDetails, and the parsing of route and query values behind them.</summary>
internal static class ApiProblems
{
    public static IResult BadRequest(string field, string message) =>
        TypedResults.ValidationProblem(new Dictionary<string, string[]> { [field] = [message] }, title: "The request is not valid.");

    public static IResult NotFound(string detail) =>
        TypedResults.Problem(detail, statusCode: StatusCodes.Status404NotFound, title: "Not found.");

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
        if (TryParseDigits(text, out var value) && ModelRules.ValidateId(value) is null)
        {
            id = (int)value;
            problem = null;
            return true;
        }

        id = 0;
        problem = BadRequest("id", ModelRules.ValidateId(0)!);
        return false;
    }

    /// <summary>Parses an optional whole-number query value within a range.</summary>
    public static bool TryParseQuery(string? text, string field, long fallback, long min, long max, out long value, out IResult? problem)
    {
        problem = null;
        if (string.IsNullOrEmpty(text))
        {
            value = fallback;
            return true;
        }

        if (TryParseDigits(text, out value) && value >= min && value <= max)
        {
            return true;
        }

        problem = BadRequest(field, $"'{field}' must be a whole number from {min} to {max}.");
        return false;
    }

    // ASCII digits and nothing else: long.TryParse alone takes trailing NULs ("5\0"), and other styles take
    // signs, spaces or other scripts' digits.
    private static bool TryParseDigits(string? text, out long value)
    {
        value = 0;
        return text is { Length: > 0 and <= 19 } && text.All(char.IsAsciiDigit)
            && long.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out value);
    }
}
