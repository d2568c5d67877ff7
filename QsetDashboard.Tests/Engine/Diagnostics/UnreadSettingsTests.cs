using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Qset.Caching;
using QsetDashboard.Tests.Infrastructure;

namespace QsetDashboard.Tests.Engine.Diagnostics;

/// <summary>A key under the bound section that no cache setting reads is named at start, not silently ignored.</summary>
public sealed class UnreadSettingsTests
{
    [Fact]
    public async Task AKeyNoSettingReads_IsWarnedOfAtStart_WithItsPath_AndTheRealSettingsStillApply()
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["Qset:Capcity"] = "5",
            ["Qset:capacity"] = "7",
            ["Qset:DefaultTtl"] = "00:01:00",
        }).Build();
        var logs = new ListLoggerProvider();
        var services = new ServiceCollection();
        services.AddLogging(b => b.AddProvider(logs));
        services.AddQsetCache(configuration.GetSection("Qset"));
        await using var provider = services.BuildServiceProvider();

        foreach (var hosted in provider.GetServices<IHostedService>())
        {
            await hosted.StartAsync(CancellationToken.None);
        }

        var warning = Assert.Single(logs.Lines, l => l.StartsWith("Warning", StringComparison.Ordinal));
        Assert.Contains("Qset:Capcity is not a cache setting", warning, StringComparison.Ordinal);
        Assert.Contains("Capacity", warning, StringComparison.Ordinal);
        Assert.Equal(7, provider.GetRequiredService<IOptions<CacheOptions>>().Value.Capacity);

        foreach (var hosted in provider.GetServices<IHostedService>())
        {
            await hosted.StopAsync(CancellationToken.None);
        }
    }

    [Fact]
    public void TheWholeConfiguration_BoundAsTheSection_WarnsOfNothing()
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["ConnectionStrings:Shop"] = "Data Source=shop.db",
            ["Capacity"] = "5",
        }).Build();

        Assert.Empty(UnreadSettings.Of(configuration));
    }
}
