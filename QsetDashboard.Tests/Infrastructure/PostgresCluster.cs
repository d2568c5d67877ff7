using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using Npgsql;

namespace QsetDashboard.Tests.Infrastructure;

/// <summary>
/// A real PostgreSQL (Debian's package) on a free loopback port: a cluster made with <c>initdb</c> in a temporary folder,
/// as the <c>postgres</c> user (the server refuses root), with <c>wal_level=logical</c> for the change feed, and no
/// fsync (a throwaway cluster loses nothing worth keeping). Commits stay synchronous, as a server's default is: with
/// <c>synchronous_commit=off</c> WAL reaches the replication stream only at the WAL writer's next round (200 ms). The tests' fixture and the benchmarks' lag probe run it.
/// </summary>
public sealed class PostgresCluster : IAsyncDisposable
{
    private readonly string _folder = Path.Combine(Path.GetTempPath(), "qset-pg", Guid.NewGuid().ToString("N"));
    private Process? _process;

    public int Port { get; } = FreePort();

    /// <summary>The server's own database, as its superuser.</summary>
    public string AdminConnectionString => ConnectionStringFor("postgres");

    public string ConnectionStringFor(string database) =>
        new NpgsqlConnectionStringBuilder { Host = "127.0.0.1", Port = Port, Username = "postgres", Database = database, Timeout = 30 }.ToString();

    /// <summary>A new, empty database, and its connection string.</summary>
    public async Task<string> CreateDatabaseAsync()
    {
        var name = "t" + Guid.NewGuid().ToString("N");
        await using var connection = new NpgsqlConnection(AdminConnectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand($"CREATE DATABASE \"{name}\"", connection);
        await command.ExecuteNonQueryAsync();
        return ConnectionStringFor(name);
    }

    private string? _bin;

    private string Data => Path.Combine(_folder, "data");

    /// <summary>Makes the cluster (the first time) and starts its server; returns once it takes connections.</summary>
    public async Task StartAsync()
    {
        if (_bin is null)
        {
            _bin = Directory.Exists("/usr/lib/postgresql")
                ? Directory.GetDirectories("/usr/lib/postgresql").Select(v => Path.Combine(v, "bin")).Where(b => File.Exists(Path.Combine(b, "initdb"))).Order().LastOrDefault()
                : null;
            if (_bin is null)
            {
                throw new InvalidOperationException("PostgreSQL is not installed. Install it with `apt-get install -y postgresql` (./test.sh does this for you).");
            }

            Directory.CreateDirectory(_folder);
            await RunAsync("chown", "-R", "postgres:postgres", _folder);
            await RunAsync(AsPostgres(Path.Combine(_bin, "initdb"), "-D", Data, "-A", "trust", "-U", "postgres", "-E", "UTF8", "--no-sync"));
        }

        var bin = _bin;
        var data = Data;
        var start = AsPostgres(Path.Combine(bin, "postgres"), "-D", data, "-p", Port.ToString(System.Globalization.CultureInfo.InvariantCulture),
            "-k", _folder, "-c", "listen_addresses=127.0.0.1", "-c", "wal_level=logical", "-c", "max_wal_senders=20",
            "-c", "max_replication_slots=20", "-c", "fsync=off", "-c", "full_page_writes=off");
        start.RedirectStandardOutput = true;
        start.RedirectStandardError = true;
        _process = Process.Start(start) ?? throw new InvalidOperationException("postgres did not start.");
        _process.OutputDataReceived += (_, _) => { };
        _process.ErrorDataReceived += (_, _) => { };
        _process.BeginOutputReadLine();
        _process.BeginErrorReadLine();

        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (true)
        {
            try
            {
                // Not pooled, and asked something: after a restart, a pooled connection of the old server opens without a word.
                await using var connection = new NpgsqlConnection(new NpgsqlConnectionStringBuilder(AdminConnectionString) { Pooling = false }.ToString());
                await connection.OpenAsync();
                await using var probe = new NpgsqlCommand("SELECT 1", connection);
                await probe.ExecuteScalarAsync();
                return;
            }
            catch (Exception ex) when (ex is NpgsqlException or SocketException && DateTime.UtcNow < deadline && !_process.HasExited)
            {
                await Task.Delay(100);
            }
        }
    }

    /// <summary>
    /// Stops the server as a crash would (<c>pg_ctl stop -m immediate</c>: every connection cut, no checkpoint); the
    /// cluster stays, and <see cref="StartAsync"/> starts it again, recovering from its WAL.
    /// </summary>
    public async Task CrashAsync()
    {
        await RunAsync(AsPostgres(Path.Combine(_bin!, "pg_ctl"), "stop", "-D", Data, "-m", "immediate", "-w"));
        if (_process is { } process)
        {
            await process.WaitForExitAsync();
            process.Dispose();
            _process = null;
        }
    }

    /// <summary>Stops the server and deletes the cluster.</summary>
    public async ValueTask DisposeAsync()
    {
        NpgsqlConnection.ClearAllPools();
        if (_process is { HasExited: false } process)
        {
            process.Kill(entireProcessTree: true);
            await process.WaitForExitAsync();
        }

        _process?.Dispose();
        try
        {
            Directory.Delete(_folder, recursive: true);
        }
        catch (IOException)
        {
            // A file still held; the OS temp cleaner takes it.
        }
    }

    // The server refuses to run as root: as root, every step runs as the postgres user the package created.
    private static ProcessStartInfo AsPostgres(string program, params string[] arguments)
    {
        var asRoot = Environment.UserName == "root";
        var start = new ProcessStartInfo(asRoot ? "/usr/sbin/runuser" : program) { UseShellExecute = false };
        if (asRoot)
        {
            foreach (var argument in (string[])["-u", "postgres", "--", program])
            {
                start.ArgumentList.Add(argument);
            }
        }

        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        return start;
    }

    private static Task RunAsync(string program, params string[] arguments)
    {
        var start = new ProcessStartInfo(program) { UseShellExecute = false };
        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        return RunAsync(start);
    }

    private static async Task RunAsync(ProcessStartInfo start)
    {
        start.RedirectStandardOutput = true;
        start.RedirectStandardError = true;
        using var process = Process.Start(start) ?? throw new InvalidOperationException($"{start.FileName} did not start.");
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync();
        if (process.ExitCode != 0)
        {
            throw new InvalidOperationException($"{start.FileName} {string.Join(' ', start.ArgumentList)} failed ({process.ExitCode}): {await error}{await output}");
        }
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}

