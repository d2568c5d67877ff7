using System.Net;
using System.Security.Cryptography;
using System.Text;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Options;

namespace Qset.Dashboard.Security;

/// <summary>
/// Whether the dashboard needs its token, and the token. Closed (token required) until the server's bound
/// addresses are known; then open only when every one of them is a loopback address.
/// </summary>
public sealed class DashboardGate(IOptions<DashboardSecurityOptions> options)
{
    private readonly byte[] _token = Encoding.UTF8.GetBytes(
        options.Value.Token?.Trim() is { Length: > 0 } configured ? configured : RandomNumberGenerator.GetHexString(32, lowercase: true));

    private volatile bool _open;

    // Made on first use: an initializer cannot read _token. Racing first uses compute the same bytes.
    private byte[]? _tokenHash;

    /// <summary>Where the host mounted the dashboard (<c>/qset</c>; empty at the root), for the login URL.</summary>
    public string MountPath { get; internal set; } = "";

    /// <summary>True when the app listens on loopback addresses only, so no token is asked for.</summary>
    public bool IsOpen => _open;

    /// <summary>True when the token came from configuration rather than being made at startup.</summary>
    public bool IsTokenConfigured { get; } = !string.IsNullOrWhiteSpace(options.Value.Token);

    /// <summary>The token, for the login URL.</summary>
    public string Token => Encoding.UTF8.GetString(_token);

    /// <summary>Opens or closes the gate from the addresses the server is bound to; returns whether it is open.</summary>
    public bool Configure(IEnumerable<string> boundAddresses)
    {
        ArgumentNullException.ThrowIfNull(boundAddresses);
        var addresses = boundAddresses.ToList();
        _open = addresses.Count > 0 && addresses.All(IsLoopback);
        return _open;
    }

    /// <summary>True when <paramref name="candidate"/> is the token; compared in constant time.</summary>
    public bool Matches(string? candidate) =>
        candidate is not null && CryptographicOperations.FixedTimeEquals(Encoding.UTF8.GetBytes(candidate), _token);

    /// <summary>True when <paramref name="candidate"/> is the hash (<see cref="DashboardSession.HashOf"/>) of the token; compared in constant time.</summary>
    public bool IsTokenHash(string? candidate)
    {
        _tokenHash ??= Encoding.UTF8.GetBytes(DashboardSession.HashOf(Token));
        return candidate is not null && CryptographicOperations.FixedTimeEquals(Encoding.UTF8.GetBytes(candidate), _tokenHash);
    }

    /// <summary>True when a bound address such as <c>http://127.0.0.1:5000</c> accepts loopback connections only.</summary>
    public static bool IsLoopback(string address)
    {
        BindingAddress binding;
        try
        {
            binding = BindingAddress.Parse(address);
        }
        catch (FormatException)
        {
            return false;
        }

        if (string.Equals(binding.Host, "localhost", StringComparison.OrdinalIgnoreCase))
        {
            return true;
        }

        // Wildcards (*, +, 0.0.0.0, [::]) listen on every interface.
        return IPAddress.TryParse(binding.Host.Trim('[', ']'), out var ip) && IPAddress.IsLoopback(ip);
    }
}
