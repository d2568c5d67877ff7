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

    /// <summary>Parses a route id: a positive 32-bit integer, digits only.</summary>
    public static bool TryParseId(string? text, out int id, out IResult? problem)
    {
        if (long.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var value) && ModelRules.ValidateId(value) is null)
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

        if (long.TryParse(text, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out value) && value >= min && value <= max)
        {
            return true;
        }

        problem = BadRequest(field, $"'{field}' must be a whole number from {min} to {max}.");
        return false;
    }
}
