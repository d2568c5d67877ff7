using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Design;

namespace QsetDashboard.Data;

/// <summary>Lets <c>dotnet ef migrations add</c> build the model without starting the app.</summary>
internal sealed class DesignTimeDbContextFactory : IDesignTimeDbContextFactory<QsetsDbContext>
{
    public QsetsDbContext CreateDbContext(string[] args) =>
        new(new DbContextOptionsBuilder<QsetsDbContext>().UseSqlite("Data Source=design.db").Options);
}
