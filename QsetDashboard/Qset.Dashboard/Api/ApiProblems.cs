using System.Globalization;

namespace Qset.Dashboard.Api;

/// <summary>
/// The dashboard API's error answers, all ProblemDetails, and the parsing of query values behind them; public so that a
/// host's own endpoints can answer alike.
/// </summary>
public static class ApiProblems
{
    /// <summary>A 400 ValidationProblem naming the field at fault.</summary>
    public static IResult BadRequest(string field, string message) =>
        TypedResults.ValidationProblem(new Dictionary<string, string[]> { [field] = [message] }, title: "The request is not valid.");

    /// <summary>A 404 Problem.</summary>
    public static IResult NotFound(string detail) =>
        TypedResults.Problem(detail, statusCode: StatusCodes.Status404NotFound, title: "Not found.");

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

    /// <summary>
    /// ASCII digits and nothing else: long.TryParse alone takes trailing NULs ("5\0"), and other styles take signs,
    /// spaces or other scripts' digits.
    /// </summary>
    public static bool TryParseDigits(string? text, out long value)
    {
        value = 0;
        return text is { Length: > 0 and <= 19 } && text.All(char.IsAsciiDigit)
            && long.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out value);
    }
}
