using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using StackExchange.Redis;

namespace QsetDashboard.Benchmarks;

/// <summary>A <c>redis-server</c> of the benchmark's own, on a free loopback port, without persistence.</summary>
public sealed class LocalRedis : IDisposable
{
    private readonly Process _server;

    private LocalRedis(Process server, string endpoint)
    {
        _server = server;
        Endpoint = endpoint;
    }

    /// <summary><c>127.0.0.1:port</c>.</summary>
    public string Endpoint { get; }

    /// <summary>Starts the server.</summary>
    /// <exception cref="InvalidOperationException">redis-server is not installed; the message says how to install it.</exception>
    public static LocalRedis Start()
    {
        const string binary = "/usr/bin/redis-server";
        if (!File.Exists(binary))
        {
            throw new InvalidOperationException("redis-server is not installed: apt-get install -y redis-server");
        }

        var port = FreePort();
        var server = Process.Start(new ProcessStartInfo(binary, $"--port {port} --bind 127.0.0.1 --save \"\" --appendonly no")
        {
            RedirectStandardOutput = true,
            UseShellExecute = false,
        })!;
        return new LocalRedis(server, $"127.0.0.1:{port.ToString(CultureInfo.InvariantCulture)}");
    }

    /// <summary>A connection, retried while the server is still starting.</summary>
    public ConnectionMultiplexer Connect()
    {
        for (var attempt = 0; ; attempt++)
        {
            try
            {
                return ConnectionMultiplexer.Connect(Endpoint);
            }
            catch (RedisConnectionException) when (attempt < 50)
            {
                Thread.Sleep(100);
            }
        }
    }

    /// <inheritdoc />
    public void Dispose()
    {
        _server.Kill(entireProcessTree: true);
        _server.Dispose();
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
