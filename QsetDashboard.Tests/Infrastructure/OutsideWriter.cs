using System.Diagnostics;

namespace QsetDashboard.Tests.Infrastructure;

/// <summary>Another process writing the database: Debian's <c>sqlite3</c> client, with plain SQL (no EF, no cache).</summary>
public static class OutsideWriter
{
    /// <summary>Runs <paramref name="sql"/> against the PostgreSQL database of <paramref name="connectionString"/> with Debian's <c>psql</c> client, in a child process.</summary>
    public static async Task<string> PostgresAsync(string connectionString, string sql)
    {
        if (!File.Exists("/usr/bin/psql"))
        {
            Assert.Fail("The PostgreSQL outside-writer tests need Debian's psql client: apt-get install -y postgresql (./test.sh installs it).");
        }

        var builder = new Npgsql.NpgsqlConnectionStringBuilder(connectionString);
        var start = new ProcessStartInfo("/usr/bin/psql") { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var argument in (string[])[$"host={builder.Host} port={builder.Port} user={builder.Username} dbname={builder.Database}", "-v", "ON_ERROR_STOP=1", "-tAc", sql])
        {
            start.ArgumentList.Add(argument);
        }

        return await RunAsync(start, sql);
    }

    /// <summary>Runs <paramref name="sql"/> against the SQLite file at <paramref name="file"/> in a child process, and returns what it printed.</summary>
    public static async Task<string> SqliteAsync(string file, string sql)
    {
        if (!File.Exists("/usr/bin/sqlite3"))
        {
            Assert.Fail("The outside-writer tests need Debian's sqlite3 client: apt-get install -y sqlite3 (./test.sh installs it).");
        }

        var start = new ProcessStartInfo("/usr/bin/sqlite3") { RedirectStandardOutput = true, RedirectStandardError = true };
        start.ArgumentList.Add("-cmd");
        start.ArgumentList.Add(".timeout 10000");
        start.ArgumentList.Add(file);
        start.ArgumentList.Add(sql);
        return await RunAsync(start, sql);
    }

    private static async Task<string> RunAsync(ProcessStartInfo start, string sql)
    {
        using var process = Process.Start(start)!;
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync();
        Assert.True(process.ExitCode == 0, $"{start.FileName} failed ({process.ExitCode}) on {sql}: {await error}");
        return (await output).Trim();
    }
}
