using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using StackExchange.Redis;

namespace QsetDashboard.Tests.Infrastructure;

/// <summary>
/// A real Redis Cluster of three primaries on free loopback ports (each with its cluster bus on another free port),
/// its 16,384 slots spread over them by <c>redis-cli --cluster create</c>, as a managed clustered Redis would be.
/// Keyspace notifications are on and persistence off; the nodes' files live in a temporary folder removed at the end.
/// </summary>
public sealed class RedisCluster : IAsyncLifetime
{
    private const int Primaries = 3;

    private readonly string _folder = Path.Combine(Path.GetTempPath(), "qset-tests", "cluster-" + Guid.NewGuid().ToString("N"));
    private readonly List<Process> _nodes = [];
    private readonly List<int> _ports = [];

    /// <summary>Every node's endpoint, as an app lists them in its connection string.</summary>
    public string ConnectionString => string.Join(',', _ports.Select(p => $"127.0.0.1:{p}"));

    public async Task InitializeAsync()
    {
        var server = Binary("redis-server", "redis-server");
        var cli = Binary("redis-cli", "redis-tools");
        Directory.CreateDirectory(_folder);
        var ports = FreePorts(2 * Primaries);
        for (var i = 0; i < Primaries; i++)
        {
            var port = ports[2 * i];
            var folder = Path.Combine(_folder, port.ToString(CultureInfo.InvariantCulture));
            Directory.CreateDirectory(folder);
            _nodes.Add(Start(server, folder, [
                "--port", Text(port), "--cluster-port", Text(ports[(2 * i) + 1]), "--cluster-enabled", "yes",
                "--cluster-config-file", "nodes.conf", "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
                "--notify-keyspace-events", "Exe", "--protected-mode", "no"]));
            _ports.Add(port);
        }

        foreach (var port in _ports)
        {
            await WaitAsync(async () =>
            {
                await using var probe = await ConnectionMultiplexer.ConnectAsync($"127.0.0.1:{port},connectTimeout=500");
                await probe.GetDatabase().PingAsync();
                return true;
            }, $"the cluster node on port {port} answers");
        }

        using (var create = Start(cli, _folder, ["--cluster", "create", .. _ports.Select(p => $"127.0.0.1:{p}"), "--cluster-replicas", "0", "--cluster-yes"]))
        {
            await create.WaitForExitAsync();
            if (create.ExitCode != 0)
            {
                throw new InvalidOperationException($"redis-cli --cluster create failed ({create.ExitCode}).");
            }
        }

        // Every node must see every slot served before a client is let in, or its first commands meet CLUSTERDOWN.
        foreach (var port in _ports)
        {
            await WaitAsync(async () =>
            {
                await using var probe = await ConnectionMultiplexer.ConnectAsync($"127.0.0.1:{port},connectTimeout=500,allowAdmin=true");
                var info = (string?)await probe.GetServer($"127.0.0.1:{port}").ExecuteAsync("CLUSTER", "INFO");
                return info?.Contains("cluster_state:ok", StringComparison.Ordinal) == true;
            }, $"the node on port {port} reports cluster_state:ok");
        }
    }

    /// <summary>A direct connection to the whole cluster, for tests that look at what is stored.</summary>
    public Task<ConnectionMultiplexer> ConnectAsync() => ConnectionMultiplexer.ConnectAsync(ConnectionString);

    public async Task DisposeAsync()
    {
        foreach (var node in _nodes)
        {
            if (!node.HasExited)
            {
                node.Kill(entireProcessTree: true);
                await node.WaitForExitAsync();
            }

            node.Dispose();
        }

        Directory.Delete(_folder, recursive: true);
    }

    private static string Binary(string name, string package) =>
        new[] { $"/usr/bin/{name}", $"/usr/local/bin/{name}" }.FirstOrDefault(File.Exists)
        ?? throw new InvalidOperationException(
            $"{name} is not installed. Install it with `apt-get install -y {package}` (./test.sh does this for you).");

    private static Process Start(string binary, string folder, IEnumerable<string> arguments)
    {
        var start = new ProcessStartInfo(binary)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            WorkingDirectory = folder,
        };
        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        var process = Process.Start(start) ?? throw new InvalidOperationException($"{binary} did not start.");
        process.OutputDataReceived += (_, _) => { };
        process.ErrorDataReceived += (_, _) => { };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return process;
    }

    private static async Task WaitAsync(Func<Task<bool>> condition, string what)
    {
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (true)
        {
            try
            {
                if (await condition())
                {
                    return;
                }
            }
            catch (RedisException) when (DateTime.UtcNow < deadline)
            {
            }

            if (DateTime.UtcNow > deadline)
            {
                throw new InvalidOperationException($"Timed out waiting until {what}.");
            }

            await Task.Delay(100);
        }
    }

    // Held open together, so no two of them are the same port.
    private static int[] FreePorts(int count)
    {
        var listeners = Enumerable.Range(0, count).Select(_ => new TcpListener(IPAddress.Loopback, 0)).ToList();
        try
        {
            listeners.ForEach(l => l.Start());
            return [.. listeners.Select(l => ((IPEndPoint)l.LocalEndpoint).Port)];
        }
        finally
        {
            listeners.ForEach(l => l.Stop());
        }
    }

    private static string Text(int value) => value.ToString(CultureInfo.InvariantCulture);
}
