using System.Net;
using System.Net.Http.Json;
using System.Text.Json;

namespace QsetDashboard.Tests.Api;

/// <summary>Asserts that an answer is a ProblemDetails of the expected status.</summary>
public static class Problem
{
    public static async Task<JsonElement> AssertAsync(HttpResponseMessage response, HttpStatusCode status, string contains = "")
    {
        ArgumentNullException.ThrowIfNull(response);
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(status == response.StatusCode, $"expected {(int)status}, got {(int)response.StatusCode}: {text}");
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        var problem = JsonSerializer.Deserialize<JsonElement>(text);
        Assert.Equal((int)status, problem.GetProperty("status").GetInt32());
        Assert.Contains(contains, text, StringComparison.Ordinal);
        return problem;
    }
}
