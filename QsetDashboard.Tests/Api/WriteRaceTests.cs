using System.Net;
using System.Net.Http.Json;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Diagnostics;
using QsetDashboard.Data;
using QsetDashboard.Tests.Infrastructure;

namespace QsetDashboard.Tests.Api;

/// <summary>Two writes on one id at once: the loser is told the row is gone (false, then 404), never an exception (500).</summary>
public sealed class WriteRaceTests(AppHostFixture host) : IClassFixture<AppHostFixture>
{
    private readonly HttpClient _client = host.CreateClient();

    [Fact]
    public async Task TwoDeletes_TheOneThatFoundTheRowLast_ReturnsFalse()
    {
        await using var engine = await EngineHost.StartAsync();
        await engine.Repository.UpsertAsync(new User { Id = 5001, Name = "Contested" });
        var gate = new SaveGate();
        var slow = new EntityRepository(new GatedContextFactory(engine.ConnectionString, gate));

        // The slow delete has read the row and waits at its save; the fast one deletes it meanwhile.
        var slowDelete = slow.DeleteAsync<User>(5001);
        await gate.Reached.Task.WaitAsync(TimeSpan.FromSeconds(30));
        var fastDeleted = await engine.Repository.DeleteAsync<User>(5001);
        gate.Release.SetResult();

        Assert.True(fastDeleted);
        Assert.False(await slowDelete);
        Assert.Null(await engine.Repository.FindAsync<User>(5001));
    }

    [Fact]
    public async Task AnUpdateRacingADelete_ReturnsFalse_AndDoesNotResurrectTheRow()
    {
        await using var engine = await EngineHost.StartAsync();
        await engine.Repository.UpsertAsync(new User { Id = 5002, Name = "Contested" });
        var gate = new SaveGate();
        var slow = new EntityRepository(new GatedContextFactory(engine.ConnectionString, gate));

        var slowUpdate = slow.UpdateAsync(new User { Id = 5002, Name = "Late" });
        await gate.Reached.Task.WaitAsync(TimeSpan.FromSeconds(30));
        var deleted = await engine.Repository.DeleteAsync<User>(5002);
        gate.Release.SetResult();

        Assert.True(deleted);
        Assert.False(await slowUpdate);
        Assert.Null(await engine.Repository.FindAsync<User>(5002));
    }

    [Fact]
    public async Task ConcurrentDeletesAndUpdatesOverHttp_AnswerOnly204_200_Or404()
    {
        for (var round = 0; round < 25; round++)
        {
            var id = 5100 + round;
            using (var created = await _client.PostAsJsonAsync("/api/users", new { id, name = "Contested" }))
            {
                Assert.Equal(HttpStatusCode.Created, created.StatusCode);
            }

            var answers = await Task.WhenAll(
                _client.DeleteAsync($"/api/users/{id}"),
                _client.DeleteAsync($"/api/users/{id}"),
                _client.PutAsJsonAsync($"/api/users/{id}", new { name = "Late" }));

            Assert.Equal(1, answers[..2].Count(a => a.StatusCode == HttpStatusCode.NoContent));
            Assert.All(answers[..2], a => Assert.Contains(a.StatusCode, new[] { HttpStatusCode.NoContent, HttpStatusCode.NotFound }));
            Assert.Contains(answers[2].StatusCode, new[] { HttpStatusCode.OK, HttpStatusCode.NotFound });
            Assert.Equal(HttpStatusCode.NotFound, (await _client.GetAsync($"/api/users/{id}")).StatusCode);
            foreach (var answer in answers)
            {
                answer.Dispose();
            }
        }
    }

    /// <summary>Holds a SaveChanges until the test releases it, and says when one got there.</summary>
    private sealed class SaveGate : SaveChangesInterceptor
    {
        public TaskCompletionSource Reached { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public TaskCompletionSource Release { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public override async ValueTask<InterceptionResult<int>> SavingChangesAsync(
            DbContextEventData eventData, InterceptionResult<int> result, CancellationToken cancellationToken = default)
        {
            Reached.TrySetResult();
            await Release.Task.WaitAsync(cancellationToken);
            return result;
        }
    }

    /// <summary>Contexts over the same SQLite file whose saves pass through <paramref name="gate"/>.</summary>
    private sealed class GatedContextFactory(string connectionString, SaveGate gate) : IDbContextFactory<QsetsDbContext>
    {
        public QsetsDbContext CreateDbContext() =>
            new(new DbContextOptionsBuilder<QsetsDbContext>().UseSqlite(connectionString).AddInterceptors(gate).Options);
    }
}
