using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;
using QsetDashboard.Tests.Browser;
using QsetDashboard.Tests.Infrastructure;

namespace QsetDashboard.Tests.Api;

/// <summary>
/// The sample on PostgreSQL, by configuration only (<c>--Database:Provider Postgres</c>), started as a user starts it in
/// a child process: its feed sees a <c>psql</c> write, and when the process is killed with SIGKILL its replication slot
/// goes with it.
/// </summary>
[Collection(PostgresCollection.Name)]
public sealed class SampleOnPostgresTests(PostgresServer server)
{
    private async Task<long> SlotsAsync(string database) =>
        long.Parse(await OutsideWriter.PostgresAsync(server.AdminConnectionString,
            $"SELECT count(*) FROM pg_replication_slots WHERE database = '{new NpgsqlConnectionStringBuilder(database).Database}'"),
            System.Globalization.CultureInfo.InvariantCulture);

    [Fact]
    public async Task ByConfiguration_TheSampleRunsOnPostgres_SeesAPsqlWrite_AndAKilledNodeLeavesNoSlot()
    {
        var database = await server.CreateDatabaseAsync();
        string[] command = ["run", "--project", "QsetDashboard", "--no-build", .. TestBuild.ConfigurationArguments, "--", "--Database:Provider", "Postgres"];
        var app = await AppProcess.StartAsync(AppProcess.DotnetHost(), command, BrowserPages.RepositoryRoot(), database);
        try
        {
            using var client = new HttpClient { BaseAddress = app.BaseAddress };
            var stats = await client.GetFromJsonAsync<JsonElement>("/api/cache/stats");
            Assert.Equal("live", stats.GetProperty("feed").GetProperty("state").GetString());
            Assert.Equal(1, await SlotsAsync(database));

            using (var created = await client.PostAsJsonAsync("/api/users", new { id = 4242, name = "Alice" }))
            {
                created.EnsureSuccessStatusCode();
            }

            async Task<(string? Cache, string? Name)> GetAsync()
            {
                using var response = await client.GetAsync("/api/users/4242");
                var user = await response.Content.ReadFromJsonAsync<JsonElement>();
                return (response.Headers.TryGetValues("X-Cache", out var values) ? values.Single() : null, user.GetProperty("name").GetString());
            }

            await GetAsync();
            Assert.Equal(("HIT", "Alice"), await GetAsync());

            await OutsideWriter.PostgresAsync(database, """UPDATE "Users" SET "Name" = 'Mallory' WHERE "Id" = 4242""");

            await Eventually.TrueAsync(async () => (await GetAsync()).Name == "Mallory", "the sample's feed saw the psql write");
            using var health = await client.GetAsync("/health");
            Assert.True(health.IsSuccessStatusCode, await health.Content.ReadAsStringAsync());
        }
        catch (Xunit.Sdk.XunitException ex)
        {
            throw new Xunit.Sdk.XunitException($"{ex.Message}\n--- the app's output ---\n{app.Output[Math.Max(0, app.Output.Length - 8_000)..]}");
        }
        finally
        {
            // Process.Kill is SIGKILL: the node gets no chance to close its stream.
            await app.DisposeAsync();
        }

        await Eventually.TrueAsync(async () => await SlotsAsync(database) == 0, "the killed node's temporary slot went with its connection");
    }

    [Fact]
    public async Task InADatabaseThatHasSomeoneElsesTables_TheSampleStillMakesItsOwn()
    {
        var database = await server.CreateDatabaseAsync();
        await OutsideWriter.PostgresAsync(database, """CREATE TABLE "Audit" ("Id" int PRIMARY KEY)""");
        var services = new Microsoft.Extensions.DependencyInjection.ServiceCollection();
        services.AddLogging();
        services.AddQsetSample(database, QsetDashboard.Data.SampleDatabase.Postgres);
        services.AddQsetCache(new Microsoft.Extensions.Configuration.ConfigurationBuilder().Build());
        await using var provider = services.BuildServiceProvider();

        await QsetDashboard.Data.DatabaseSetup.MigrateAsync(provider.GetRequiredService<Microsoft.EntityFrameworkCore.IDbContextFactory<QsetDashboard.Data.QsetsDbContext>>());

        Assert.Equal("t", await OutsideWriter.PostgresAsync(database, """SELECT to_regclass('"Users"') IS NOT NULL"""));
        Assert.Equal("t", await OutsideWriter.PostgresAsync(database, """SELECT to_regclass('"Audit"') IS NOT NULL"""));
    }
}
