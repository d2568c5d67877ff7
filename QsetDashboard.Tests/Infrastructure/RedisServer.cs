using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using StackExchange.Redis;

namespace QsetDashboard.Tests.Infrastructure;

/// <summary>
/// A real redis-server on a free loopback port, started for the tests, with keyspace notifications for expiry and
/// eviction on and persistence off (or, for outage tests, an append-only file in a temporary folder, so a killed
/// server comes back with its keys as a production one would). It can be stopped and started again on the same
/// port, or frozen with SIGSTOP and thawed, to play an outage.
/// </summary>
public sealed class RedisServer : IAsyncLifetime
{
    private readonly string? _dataFolder;
    private Process? _process;

    public RedisServer()
        : this(persistent: false)
    {
    }

    private RedisServer(bool persistent)
    {
        if (persistent)
        {
            _dataFolder = Path.Combine(Path.GetTempPath(), "qset-tests", "redis-" + Guid.NewGuid().ToString("N"));
            Directory.CreateDirectory(_dataFolder);
        }
    }

    /// <summary>A server that keeps its keys in an append-only file across a kill and a start.</summary>
    public static RedisServer Persistent() => new(persistent: true);

    public int Port { get; } = FreePort();

    public string ConnectionString => $"127.0.0.1:{Port}";

    public async Task InitializeAsync() => await StartAsync();

    public async Task StartAsync()
    {
        var binary = new[] { "/usr/bin/redis-server", "/usr/local/bin/redis-server" }.FirstOrDefault(File.Exists)
            ?? throw new InvalidOperationException(
                "redis-server is not installed. Install it with `apt-get install -y redis-server` (./test.sh does this for you).");
        var start = new ProcessStartInfo(binary)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        string[] persistence = _dataFolder is null
            ? ["--appendonly", "no"]
            : ["--appendonly", "yes", "--appendfsync", "always", "--dir", _dataFolder];
        foreach (var argument in (string[])["--port", Port.ToString(System.Globalization.CultureInfo.InvariantCulture),
                     "--bind", "127.0.0.1", "--save", "", .. persistence, "--notify-keyspace-events", "Exe", "--protected-mode", "no"])
        {
            start.ArgumentList.Add(argument);
        }

        _process = Process.Start(start) ?? throw new InvalidOperationException("redis-server did not start.");
        _process.OutputDataReceived += (_, _) => { };
        _process.ErrorDataReceived += (_, _) => { };
        _process.BeginOutputReadLine();
        _process.BeginErrorReadLine();
        var deadline = DateTime.UtcNow.AddSeconds(15);
        while (true)
        {
            try
            {
                await using var probe = await ConnectionMultiplexer.ConnectAsync($"{ConnectionString},connectTimeout=500");
                await probe.GetDatabase().PingAsync();
                return;
            }
            catch (RedisConnectionException) when (DateTime.UtcNow < deadline && !_process.HasExited)
            {
                await Task.Delay(100);
            }
            catch (RedisServerException ex) when (ex.Message.StartsWith("LOADING", StringComparison.Ordinal) && DateTime.UtcNow < deadline && !_process.HasExited)
            {
                // A restart with an append-only file answers LOADING until it has read it back: ready after that.
                await Task.Delay(100);
            }
        }
    }

    public async Task StopAsync()
    {
        if (_process is { HasExited: false } process)
        {
            process.Kill(entireProcessTree: true);
            await process.WaitForExitAsync();
        }

        _process?.Dispose();
        _process = null;
    }

    /// <summary>Freezes the server (SIGSTOP): connections stay open, commands time out.</summary>
    public Task PauseAsync() => SignalAsync("STOP");

    /// <summary>Thaws a frozen server (SIGCONT): it answers what was queued, then everything else.</summary>
    public Task ResumeAsync() => SignalAsync("CONT");

    /// <summary>A direct connection, for tests that look at or tamper with what is stored.</summary>
    public Task<ConnectionMultiplexer> ConnectAsync() => ConnectionMultiplexer.ConnectAsync(ConnectionString);

    public async Task DisposeAsync()
    {
        await StopAsync();
        if (_dataFolder is not null)
        {
            Directory.Delete(_dataFolder, recursive: true);
        }
    }

    private async Task SignalAsync(string signal)
    {
        var pid = _process?.Id ?? throw new InvalidOperationException("redis-server is not running.");
        using var kill = Process.Start("kill", $"-{signal} {pid}");
        await kill.WaitForExitAsync();
        if (kill.ExitCode != 0)
        {
            throw new InvalidOperationException($"kill -{signal} {pid} failed ({kill.ExitCode}).");
        }
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
