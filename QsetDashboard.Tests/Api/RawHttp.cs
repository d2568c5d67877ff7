using System.Net.Sockets;
using System.Text;

namespace QsetDashboard.Tests.Api;

/// <summary>
/// HTTP/1.1 by hand over a loopback socket, for requests HttpClient refuses to send: bad chunks, bodies shorter than
/// their Content-Length.
/// </summary>
public static class RawHttp
{
    /// <summary>
    /// Sends <paramref name="head"/> and <paramref name="body"/> and returns the whole answer, read until the server closes.
    /// The sending side stays open: Kestrel takes a half-close for a client that has gone, and answers nothing.
    /// </summary>
    public static async Task<RawResponse> SendAsync(Uri server, string head, byte[] body, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(server);
        using var client = new TcpClient();
        await client.ConnectAsync(server.Host, server.Port, cancellationToken);
        var stream = client.GetStream();
        await stream.WriteAsync(Encoding.ASCII.GetBytes(head), cancellationToken);
        await stream.WriteAsync(body, cancellationToken);
        await stream.FlushAsync(cancellationToken);
        using var buffer = new MemoryStream();
        await stream.CopyToAsync(buffer, cancellationToken);
        return RawResponse.Parse(Encoding.UTF8.GetString(buffer.ToArray()));
    }
}

/// <summary>A raw answer: the status code, the headers as text, and the body.</summary>
public sealed record RawResponse(int Status, string Headers, string Body)
{
    public static RawResponse Parse(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        var split = text.IndexOf("\r\n\r\n", StringComparison.Ordinal);
        var head = split < 0 ? text : text[..split];
        var body = split < 0 ? "" : text[(split + 4)..];
        var status = head.Length >= 12 && int.TryParse(head.AsSpan(9, 3), out var code) ? code : 0;
        return new RawResponse(status, head, body);
    }
}
