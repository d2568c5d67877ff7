using Microsoft.EntityFrameworkCore.Diagnostics;
using Qset.Caching.Interceptors;
using Qset.Caching.Queries;

namespace QsetDashboard.Tests.Engine.Invalidation;

public sealed class SqlTablesTests
{
    [Theory]
    [InlineData("UPDATE Users SET Name = 'x'", "UPDATE", "Users", null)]
    [InlineData("UPDATE \"Users\" AS \"u\" SET \"Name\" = @p", "UPDATE", "Users", null)]
    [InlineData("update or ignore [Users] set Name = 1", "UPDATE", "Users", null)]
    [InlineData("INSERT INTO main.\"Teams\" (Id, Name) VALUES (1, 'a')", "INSERT", "Teams", "main")]
    [InlineData("INSERT OR REPLACE INTO `Teams` VALUES (1, 'a')", "INSERT", "Teams", null)]
    [InlineData("REPLACE INTO Teams VALUES (1, 'a')", "REPLACE", "Teams", null)]
    [InlineData("DELETE FROM \"Users\" AS \"u\" WHERE \"u\".\"Id\" = 1", "DELETE", "Users", null)]
    [InlineData("-- a comment: UPDATE Teams\nDELETE FROM Users", "DELETE", "Users", null)]
    [InlineData("UPDATE audit.\"Products\" SET x = 1", "UPDATE", "Products", "audit")]
    public void Written_FindsTheTargetTable(string sql, string verb, string table, string? schema)
    {
        Assert.Equal([(verb, table, schema)], SqlTables.Written(sql));
    }

    [Theory]
    [InlineData("SELECT * FROM Users WHERE Name = 'UPDATE Teams SET x = 1'")]
    [InlineData("SELECT 1 /* DELETE FROM Users */")]
    [InlineData("INSERT INTO Users VALUES (1, 'a') ON CONFLICT (Id) DO UPDATE SET Name = 'b'")]
    public void Written_IgnoresLiteralsCommentsAndUpsertClauses(string sql)
    {
        Assert.DoesNotContain(SqlTables.Written(sql), w => w.Table == "Teams" || w.Table == "SET");
    }

    [Fact]
    public void Written_FindsEveryStatementsTarget_Once()
    {
        Assert.Equal(
            [("UPDATE", "Users", (string?)null), ("DELETE", "Teams", null)],
            SqlTables.Written("UPDATE Users SET Name = 'a'; DELETE FROM Teams; UPDATE users SET Name = 'b';"));
    }

    [Fact]
    public void Read_FindsFromAndJoinTables()
    {
        Assert.Equal(
            [("Users", (string?)null), ("Teams", null)],
            SqlTables.Read("SELECT u.Name FROM \"Users\" AS u INNER JOIN Teams t ON t.Id = u.Id WHERE u.Id IN (SELECT Id FROM Users)"));
    }

    [Theory]
    [InlineData(CommandSource.ExecuteUpdate, "ExecuteUpdate on Users")]
    [InlineData(CommandSource.ExecuteDelete, "ExecuteDelete on Users")]
    [InlineData(CommandSource.ExecuteSqlRaw, "raw SQL UPDATE on Users")]
    public void WritesOf_NamesTheWritePath(CommandSource source, string what)
    {
        var write = Assert.Single(BulkWriteInterceptor.WritesOf("UPDATE Users SET Name = 'x'", source, names: null));

        Assert.Equal(what, write.What);
        Assert.True(write.Bulk);
    }

    [Theory]
    [InlineData(CommandSource.SaveChanges)]
    [InlineData(CommandSource.Migrations)]
    [InlineData(CommandSource.LinqQuery)]
    public void WritesOf_LeavesSaveChangesMigrationsAndReadsAlone(CommandSource source)
    {
        Assert.Empty(BulkWriteInterceptor.WritesOf("UPDATE Users SET Name = 'x'", source, names: null));
    }

    [Theory]
    [InlineData("-- qset-cache\n\nSELECT 1", true, null)]
    [InlineData("-- other tag\n-- qset-cache ttl=00:01:30\n\nSELECT 1", true, "00:01:30")]
    [InlineData("SELECT 1 -- qset-cache", false, null)]
    [InlineData("-- qset-cache-not\n\nSELECT 1", false, null)]
    public void CacheableTag_IsReadFromTheLeadingComments(string sql, bool tagged, string? ttl)
    {
        Assert.Equal(tagged, CacheableTag.TryRead(sql, out var value));
        Assert.Equal(ttl is null ? null : TimeSpan.Parse(ttl, System.Globalization.CultureInfo.InvariantCulture), value);
    }

    [Fact]
    public void QueryKey_NamesItsTables_AndTablesOfReadsThemBack()
    {
        var key = QueryKeys.For("SELECT 1", ["Team", "User"]);

        Assert.StartsWith("Query.Team+User.", key, StringComparison.Ordinal);
        Assert.Equal(["Team", "User"], QueryKeys.TablesOf(key));
        Assert.Equal(key, QueryKeys.For("SELECT 1", ["Team", "User"]));
        Assert.NotEqual(key, QueryKeys.For("SELECT 2", ["Team", "User"]));
    }
}
