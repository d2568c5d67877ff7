using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.DependencyInjection;
using QsetDashboard.Data;
using QsetDashboard.Tests.Infrastructure;

namespace QsetDashboard.Tests.Api;

/// <summary>
/// Another process holds SQLite's write lock while users write through the API: whatever each write is answered,
/// an acknowledged write is in the database and is what the cache serves afterwards; a refused one changed nothing.
/// </summary>
public sealed class LockedDatabaseTests
{
    [Fact]
    public async Task WritesWhileAnotherConnectionHoldsTheWriteLock_NoAcknowledgedWriteIsLost_AndTheCacheAgrees()
    {
        var database = new TestDatabase();
        try
        {
            using var app = new AppHost(new Dictionary<string, string?> { ["ConnectionStrings:Qsets"] = database.ConnectionString });
            using var client = new HttpClient { BaseAddress = app.BaseAddress };
            for (var id = 10; id < 14; id++)
            {
                using (await client.PostAsJsonAsync("/api/users", new { id, name = "before" }))
                {
                }

                using (await client.GetAsync($"/api/users/{id}"))
                {
                }
            }

            Dictionary<int, HttpStatusCode> answers = [];
            await using (var blocker = new SqliteConnection(database.ConnectionString))
            {
                await blocker.OpenAsync();
                await using var command = blocker.CreateCommand();
                command.CommandText = "BEGIN IMMEDIATE;";
                await command.ExecuteNonQueryAsync();

                var writes = Enumerable.Range(10, 4).Select(async id =>
                {
                    using var response = await client.PutAsJsonAsync($"/api/users/{id}", new { name = "after" });
                    lock (answers)
                    {
                        answers[id] = response.StatusCode;
                    }

                    if (response.StatusCode != HttpStatusCode.OK)
                    {
                        await Problem.AssertAsync(response, response.StatusCode);
                    }
                }).ToArray();

                // The writes wait on the lock (or give up); it is released while they may still be waiting.
                await Task.Delay(500);
                command.CommandText = "ROLLBACK;";
                await command.ExecuteNonQueryAsync();
                await Task.WhenAll(writes);
            }

            var repository = app.Services.GetRequiredService<EntityRepository>();
            foreach (var (id, status) in answers)
            {
                var stored = (await repository.FindAsync<User>(id))!.Name;
                var served = (await client.GetFromJsonAsync<JsonElement>($"/api/users/{id}")).GetProperty("name").GetString();
                Assert.True(status == HttpStatusCode.OK ? stored == "after" : stored == "before", $"user {id}: answered {(int)status}, stored '{stored}'");
                Assert.Equal(stored, served);
                Assert.True((int)status < 500 || status == HttpStatusCode.ServiceUnavailable, $"user {id}: answered {(int)status}");
            }

            Assert.Equal(4, answers.Count);
        }
        finally
        {
            database.Dispose();
        }
    }
}
