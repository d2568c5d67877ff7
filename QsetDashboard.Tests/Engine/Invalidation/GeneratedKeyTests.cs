using Microsoft.EntityFrameworkCore;
using Qset.Caching;

namespace QsetDashboard.Tests.Engine.Invalidation;

/// <summary>
/// A row whose key the database generates is invalidated, and named in its event, under the key it has after the save,
/// not the temporary one EF holds until then; within a transaction too. PostgreSQL's case is in PostgresContractTests.
/// </summary>
public sealed class GeneratedKeyTests
{
    internal static async Task AssertNamedByItsGeneratedKeyAsync(EngineOnlyHost host, bool inTransaction)
    {
        var book = new Book { Title = "numbered by the database" };
        await using (var db = host.NewContext())
        {
            await using var transaction = inTransaction ? await db.Database.BeginTransactionAsync() : null;
            db.Books.Add(book);
            await db.SaveChangesAsync();
            if (transaction is not null)
            {
                await transaction.CommitAsync();
            }
        }

        Assert.True(book.Id > 0, "the database gave the row its key");
        var invalidate = Assert.Single(host.Events(), e => e.Kind == CacheEventKind.Invalidate && e.Key!.StartsWith("LibraryDb:Book.", StringComparison.Ordinal));
        Assert.Equal($"LibraryDb:Book.{book.Id}", invalidate.Key);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task AnInsertWithADatabaseGeneratedKey_IsInvalidatedUnderTheKeyTheDatabaseGave(bool inTransaction)
    {
        await using var host = await EngineOnlyHost.StartAsync();
        await AssertNamedByItsGeneratedKeyAsync(host, inTransaction);
    }
}
