namespace QsetDashboard.Tests.Infrastructure;

/// <summary>The tests' PostgreSQL: one <see cref="PostgresCluster"/>, started for the collection. Each test asks for a database of its own.</summary>
public sealed class PostgresServer : IAsyncLifetime
{
    private readonly PostgresCluster _cluster = new();

    public int Port => _cluster.Port;

    /// <summary>The server's own database, as its superuser.</summary>
    public string AdminConnectionString => _cluster.AdminConnectionString;

    public string ConnectionStringFor(string database) => _cluster.ConnectionStringFor(database);

    /// <summary>A new, empty database, and its connection string.</summary>
    public Task<string> CreateDatabaseAsync() => _cluster.CreateDatabaseAsync();

    public Task InitializeAsync() => _cluster.StartAsync();

    public async Task DisposeAsync() => await _cluster.DisposeAsync();
}

/// <summary>The tests that share one PostgreSQL server; each makes a database of its own.</summary>
[CollectionDefinition(Name)]
public sealed class PostgresCollection : ICollectionFixture<PostgresServer>
{
    public const string Name = "postgres";
}
