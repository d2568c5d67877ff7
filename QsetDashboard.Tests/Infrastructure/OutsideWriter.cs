using System.Diagnostics;

namespace QsetDashboard.Tests.Infrastructure;

/// <summary>Another process writing the database: Debian's <c>sqlite3</c> client, with plain SQL (no EF, no cache).</summary>
public static class OutsideWriter
{
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
        using var process = Process.Start(start)!;
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync();
        Assert.True(process.ExitCode == 0, $"sqlite3 failed ({process.ExitCode}) on {sql}: {await error}");
        return (await output).Trim();
    }
}
