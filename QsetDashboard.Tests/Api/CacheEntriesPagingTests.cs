using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using Qset.Caching;
using QsetDashboard.Data;
using QsetDashboard.Tests.Infrastructure;

namespace QsetDashboard.Tests.Api;

/// <summary><c>GET /api/cache/entries</c> pages: limit, cursor, text and type filters, and the next page's headers.</summary>
public sealed class CacheEntriesPagingTests : IDisposable
{
    private readonly AppHost _app = new(new Dictionary<string, string?> { ["Cache:Capacity"] = "1000" });
    private readonly HttpClient _client;

    public CacheEntriesPagingTests()
    {
        _client = _app.CreateClient();
    }

    private QsetCache Cache => _app.Services.GetRequiredService<QsetCache>();

    public void Dispose()
    {
        _client.Dispose();
        _app.Dispose();
    }

    [Fact]
    public async Task OrderNewest_PagesByAge_NewestFirst_AndCoversEveryKeyOnce_EvenWhenThePagesLastKeyGoes()
    {
        for (var id = 10; id < 40; id++)
        {
            await CacheUserAsync(id);
        }

        using var first = await _client.GetAsync("/api/cache/entries?limit=10&order=newest");
        var firstKeys = await KeysAsync(first);
        Assert.Equal(Enumerable.Range(30, 10).Reverse().Select(i => $"User.{i}"), firstKeys);
        var cursor = Assert.Single(first.Headers.GetValues("X-Next-Cursor"));
        Assert.Contains("order=newest", Assert.Single(first.Headers.GetValues("Link")), StringComparison.Ordinal);

        // The entry the cursor names leaves, and one newer than every page arrives: neither moves the rest.
        await Cache.InvalidateAsync("User.30", "User");
        await CacheUserAsync(45);

        List<string> rest = [];
        for (string? next = cursor; next is not null;)
        {
            using var page = await _client.GetAsync($"/api/cache/entries?limit=10&order=newest&cursor={next}");
            Assert.Equal(HttpStatusCode.OK, page.StatusCode);
            rest.AddRange(await KeysAsync(page));
            next = page.Headers.TryGetValues("X-Next-Cursor", out var values) ? values.Single() : null;
        }

        Assert.Equal(Enumerable.Range(10, 20).Reverse().Select(i => $"User.{i}"), rest);

        using var oldest = await _client.GetAsync("/api/cache/entries?limit=3&order=oldest");
        Assert.Equal(["User.10", "User.11", "User.12"], await KeysAsync(oldest));
    }

    [Fact]
    public async Task OrderSize_PagesLargestFirst_AndOrderTtl_SoonestFirst_EachWithItsOwnNextLink()
    {
        for (var id = 10; id < 16; id++)
        {
            using (await _client.PostAsJsonAsync("/api/users", new { id, name = new string('n', id) }))
            {
            }

            using (await _client.GetAsync($"/api/users/{id}"))
            {
            }
        }

        using var largest = await _client.GetAsync("/api/cache/entries?limit=4&order=size");
        Assert.Equal(["User.15", "User.14", "User.13", "User.12"], await KeysAsync(largest));
        var cursor = Assert.Single(largest.Headers.GetValues("X-Next-Cursor"));
        Assert.Contains("order=size", Assert.Single(largest.Headers.GetValues("Link")), StringComparison.Ordinal);
        using var rest = await _client.GetAsync($"/api/cache/entries?limit=4&order=size&cursor={cursor}");
        Assert.Equal(["User.11", "User.10"], await KeysAsync(rest));
        Assert.False(rest.Headers.Contains("X-Next-Cursor"));

        // One TTL for all: the soonest to expire is the first cached.
        using var soonest = await _client.GetAsync("/api/cache/entries?limit=2&order=TTL");
        Assert.Equal(["User.10", "User.11"], await KeysAsync(soonest));
    }

    [Theory]
    [InlineData("order=bogus")]
    [InlineData("order=3")]
    [InlineData("order=ttl&cursor=bTEw")]
    [InlineData("order=newest&cursor=bTEw")]
    public async Task BadOrder_OrACursorOfAnotherOrder_Is400ProblemDetails(string query)
    {
        await CacheUserAsync(10);

        using var response = await _client.GetAsync($"/api/cache/entries?{query}");

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
    }

    [Fact]
    public async Task Pages_CoverEveryKeyOnce_InKeyOrder_WithAnEntryAddedAndOneRemovedBetweenPages()
    {
        for (var id = 10; id < 40; id++)
        {
            await CacheUserAsync(id);
        }

        using var first = await _client.GetAsync("/api/cache/entries?limit=10");
        var firstKeys = await KeysAsync(first);
        Assert.Equal(Enumerable.Range(10, 10).Select(i => $"User.{i}"), firstKeys);
        var cursor = Assert.Single(first.Headers.GetValues("X-Next-Cursor"));
        var link = Assert.Single(first.Headers.GetValues("Link"));
        Assert.Equal($"</api/cache/entries?limit=10&cursor={cursor}>; rel=\"next\"", link);

        // Between two pages: a key after the cursor arrives, one not yet listed goes.
        await CacheUserAsync(45);
        await Cache.InvalidateAsync("User.25", "User");

        List<string> rest = [];
        for (string? next = cursor; next is not null;)
        {
            using var page = await _client.GetAsync($"/api/cache/entries?limit=10&cursor={next}");
            Assert.Equal(HttpStatusCode.OK, page.StatusCode);
            var keys = await KeysAsync(page);
            Assert.InRange(keys.Count, 0, 10);
            rest.AddRange(keys);
            next = page.Headers.TryGetValues("X-Next-Cursor", out var values) ? values.Single() : null;
        }

        Assert.Empty(firstKeys.Intersect(rest));
        Assert.Equal(
            Enumerable.Range(20, 20).Where(i => i != 25).Select(i => $"User.{i}").Append("User.45").Order(StringComparer.Ordinal),
            rest);
    }

    [Fact]
    public async Task Filters_ByTextCaseInsensitively_AndByType()
    {
        for (var id = 10; id < 13; id++)
        {
            await CacheUserAsync(id);
        }

        using (await _client.PostAsJsonAsync("/api/teams", new { id = 11, name = "Ops" }))
        {
        }

        using (await _client.GetAsync("/api/teams/11"))
        {
        }

        using var text = await _client.GetAsync("/api/cache/entries?q=user.1");
        using var type = await _client.GetAsync("/api/cache/entries?type=Team");

        Assert.Equal(["User.10", "User.11", "User.12"], await KeysAsync(text));
        Assert.Equal(["Team.11"], await KeysAsync(type));
        Assert.False(text.Headers.Contains("X-Next-Cursor"));
    }

    [Theory]
    [InlineData("limit=0", "limit")]
    [InlineData("limit=10001", "limit")]
    [InlineData("limit=abc", "limit")]
    [InlineData("limit=5%00", "limit")]
    [InlineData("cursor=%21%21", "cursor")]
    [InlineData("cursor=bm9wZQ", "cursor")]
    public async Task BadLimitOrCursor_Is400ProblemDetails(string query, string field)
    {
        using var response = await _client.GetAsync($"/api/cache/entries?{query}");

        await Problem.AssertAsync(response, HttpStatusCode.BadRequest, field);
    }

    [Fact]
    public async Task DeletingOneKey_FindsItWithoutListing_And404sAnUnknownOne()
    {
        await CacheUserAsync(10);

        using var removed = await _client.DeleteAsync("/api/cache/entries/User.10");
        using var unknown = await _client.DeleteAsync("/api/cache/entries/User.10");

        Assert.Equal(HttpStatusCode.NoContent, removed.StatusCode);
        await Problem.AssertAsync(unknown, HttpStatusCode.NotFound, "User.10");
    }

    [Fact]
    public async Task Users_PageByIdWithACursor_AndABadCursorIs400()
    {
        for (var id = 10; id < 15; id++)
        {
            using (await _client.PostAsJsonAsync("/api/users", new { id, name = $"u{id}" }))
            {
            }
        }

        using var first = await _client.GetAsync("/api/users?limit=2");
        var cursor = Assert.Single(first.Headers.GetValues("X-Next-Cursor"));
        using var second = await _client.GetAsync($"/api/users?limit=2&cursor={cursor}");
        var lastCursor = Assert.Single(second.Headers.GetValues("X-Next-Cursor"));
        using var third = await _client.GetAsync($"/api/users?limit=2&cursor={lastCursor}");
        using var bad = await _client.GetAsync("/api/users?cursor=eA");

        Assert.Equal([10, 11], await IdsAsync(first));
        Assert.Equal([12, 13], await IdsAsync(second));
        Assert.Equal([14], await IdsAsync(third));
        Assert.False(third.Headers.Contains("X-Next-Cursor"));
        Assert.Equal($"</api/users?limit=2&cursor={cursor}>; rel=\"next\"", Assert.Single(first.Headers.GetValues("Link")));
        await Problem.AssertAsync(bad, HttpStatusCode.BadRequest, "cursor");
    }

    private static async Task<List<int>> IdsAsync(HttpResponseMessage response)
    {
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var rows = await response.Content.ReadFromJsonAsync<JsonElement>();
        return [.. rows.EnumerateArray().Select(e => e.GetProperty("id").GetInt32())];
    }

    private async Task CacheUserAsync(int id)
    {
        using (await _client.PostAsJsonAsync("/api/users", new { id, name = $"u{id}" }))
        {
        }

        using var read = await _client.GetAsync($"/api/users/{id}");
        Assert.Equal(HttpStatusCode.OK, read.StatusCode);
    }

    private static async Task<List<string>> KeysAsync(HttpResponseMessage response)
    {
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var entries = await response.Content.ReadFromJsonAsync<JsonElement>();
        return [.. entries.EnumerateArray().Select(e => e.GetProperty("key").GetString()!)];
    }
}
