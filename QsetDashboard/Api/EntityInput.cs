using Qset.Dashboard.Api;
using System.Text.Json;
using Microsoft.AspNetCore.Http.Features;
using QsetDashboard.Data;

namespace QsetDashboard.Api;

/// <summary>A create or update body, read by hand so that every malformed shape gets its own clear 400.</summary>
internal sealed record EntityInput(int? Id, string Name)
{
    /// <summary>The largest body the entity endpoints read; a name is at most 100 characters.</summary>
    public const int MaxBodyBytes = 64 * 1024;

    public static async Task<(EntityInput? Input, IResult? Problem)> ReadAsync(HttpRequest request, bool requireId, CancellationToken cancellationToken)
    {
        // A cross-site page can send text/plain without a preflight; only a JSON body is accepted.
        if (!request.HasJsonContentType())
        {
            return (null, SampleProblems.UnsupportedMediaType(request.ContentType));
        }

        if (request.ContentLength > MaxBodyBytes)
        {
            return (null, SampleProblems.TooLarge(MaxBodyBytes));
        }

        // Kestrel then refuses (413) a chunked body that grows past the limit, instead of reading up to its 30 MB default.
        if (request.HttpContext.Features.Get<IHttpMaxRequestBodySizeFeature>() is { IsReadOnly: false } limit)
        {
            limit.MaxRequestBodySize = MaxBodyBytes;
        }

        JsonDocument document;
        try
        {
            document = await JsonDocument.ParseAsync(request.Body, cancellationToken: cancellationToken);
        }
        catch (JsonException)
        {
            return (null, ApiProblems.BadRequest("body", "The body must be a JSON object such as {\"id\": 1, \"name\": \"Alice\"}."));
        }
        catch (BadHttpRequestException ex)
        {
            // Too large (413), a malformed chunk or a body shorter than its Content-Length (400), too slow (408).
            return (null, SampleProblems.FromBadRequest(ex));
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
                try
                {
                    name = nameElement.GetString();
                }
                catch (InvalidOperationException)
                {
                    // An escaped lone surrogate ("\ud800") or bytes that are not UTF-8: not text.
                    return (null, ApiProblems.BadRequest("name", ModelRules.NotTextMessage));
                }
            }

            if (ModelRules.ValidateName(name) is { } nameError)
            {
                return (null, ApiProblems.BadRequest("name", nameError));
            }

            return (new EntityInput(id, name!), null);
        }
    }
}
