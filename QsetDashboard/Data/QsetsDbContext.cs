using Microsoft.EntityFrameworkCore;

namespace QsetDashboard.Data;

/// <summary>The application's database: users and teams, in SQLite by default.</summary>
public sealed class QsetsDbContext(DbContextOptions<QsetsDbContext> options) : DbContext(options)
{
    /// <summary>The users table.</summary>
    public DbSet<User> Users => Set<User>();

    /// <summary>The teams table.</summary>
    public DbSet<Team> Teams => Set<Team>();

    /// <inheritdoc />
    protected override void OnModelCreating(ModelBuilder modelBuilder) =>
        modelBuilder.ApplyConfigurationsFromAssembly(typeof(QsetsDbContext).Assembly);
}
