using System.Text.Json;
using QsetDashboard.Data;

namespace QsetDashboard.Api;

/// <summary>A create or update body, read by hand so that every malformed shape gets its own clear 400.</summary>
internal sealed record EntityInput(int? Id, string Name)
{
    private const int MaxBodyBytes = 16 * 1024;

    public static async Task<(EntityInput? Input, IResult? Problem)> ReadAsync(HttpRequest request, bool requireId, CancellationToken cancellationToken)
    {
        JsonDocument document;
        try
        {
            if (request.ContentLength > MaxBodyBytes)
            {
                return (null, ApiProblems.BadRequest("body", $"The body must be at most {MaxBodyBytes} bytes."));
            }

            document = await JsonDocument.ParseAsync(request.Body, cancellationToken: cancellationToken);
        }
        catch (JsonException)
        {
            return (null, ApiProblems.BadRequest("body", "The body must be a JSON object such as {\"id\": 1, \"name\": \"Alice\"}."));
        }

        using (document)
        {
            var root = document.RootElement;
            if (root.ValueKind != JsonValueKind.Object)
            {
                return (null, ApiProblems.BadRequest("body", "The body must be a JSON object."));
            }

            int? id = null;
            if (requireId)
            {
                if (!root.TryGetProperty("id", out var idElement) || idElement.ValueKind != JsonValueKind.Number
                    || !idElement.TryGetInt64(out var idValue) || ModelRules.ValidateId(idValue) is { } idError)
                {
                    return (null, ApiProblems.BadRequest("id", ModelRules.ValidateId(0)!));
                }

                id = (int)idValue;
            }

            string? name = null;
            if (root.TryGetProperty("name", out var nameElement) && nameElement.ValueKind == JsonValueKind.String)
            {
                name = nameElement.GetString();
            }

            if (ModelRules.ValidateName(name) is { } nameError)
            {
                return (null, ApiProblems.BadRequest("name", nameError));
            }

            return (new EntityInput(id, name!), null);
        }
    }
}
