using Microsoft.Extensions.Options;
using Qset.Dashboard.Security;

namespace QsetDashboard.Tests.Model;

public sealed class DashboardGateTests
{
    private static DashboardGate Gate(string? token = null) => new(Options.Create(new DashboardSecurityOptions { Token = token }));

    [Theory]
    [InlineData("http://127.0.0.1:5000", true)]
    [InlineData("http://localhost:5000", true)]
    [InlineData("http://[::1]:5000", true)]
    [InlineData("https://127.0.0.2:443", true)]
    [InlineData("http://0.0.0.0:5000", false)]
    [InlineData("http://[::]:5000", false)]
    [InlineData("http://*:5000", false)]
    [InlineData("http://+:5000", false)]
    [InlineData("http://192.168.1.10:5000", false)]
    [InlineData("http://example.com:5000", false)]
    public void IsLoopback_KnowsWhichBindingsReachBeyondTheMachine(string address, bool loopback)
    {
        Assert.Equal(loopback, DashboardGate.IsLoopback(address));
    }

    [Fact]
    public void Gate_IsClosedUntilConfigured_AndOpenOnlyWhenEveryAddressIsLoopback()
    {
        var gate = Gate();
        Assert.False(gate.IsOpen);

        Assert.True(gate.Configure(["http://127.0.0.1:1", "http://[::1]:1"]));
        Assert.False(gate.Configure(["http://127.0.0.1:1", "http://0.0.0.0:2"]));
        Assert.False(gate.IsOpen);
    }

    [Fact]
    public void Token_IsRandomPerStart_OrTheConfiguredOne_AndMatchesOnlyExactly()
    {
        var a = Gate();
        var b = Gate();
        Assert.Equal(32, a.Token.Length);
        Assert.NotEqual(a.Token, b.Token);
        Assert.False(a.IsTokenConfigured);

        var configured = Gate("  a-very-long-configured-token ");
        Assert.True(configured.IsTokenConfigured);
        Assert.True(configured.Matches("a-very-long-configured-token"));
        Assert.False(configured.Matches("a-very-long-configured-toke"));
        Assert.False(configured.Matches(null));
    }

    [Fact]
    public void ShortConfiguredToken_IsRejectedWithTheSettingsName()
    {
        var result = new DashboardSecurityOptionsValidator().Validate(null, new DashboardSecurityOptions { Token = "short" });

        Assert.True(result.Failed);
        Assert.Contains("Dashboard:Token", result.FailureMessage, StringComparison.Ordinal);
    }
}
