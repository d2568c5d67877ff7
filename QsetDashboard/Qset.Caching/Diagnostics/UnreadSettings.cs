using System.Reflection;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Qset.Caching;

/// <summary>
/// Warns at start of each key under the section a host bound with <c>AddQsetCache</c> that no cache setting reads
/// (<c>Qset:Capcity</c>, or a key copied from docs that name another section): without it, a typo changes nothing,
/// silently.
/// </summary>
internal sealed partial class UnreadSettings(IConfiguration section, ILogger<UnreadSettings> logger) : IHostedService
{
    // Matched as the binder matches them: case-insensitively.
    private static readonly HashSet<string> s_settings = new(
        typeof(CacheOptions).GetProperties(BindingFlags.Public | BindingFlags.Instance).Where(p => p.CanWrite).Select(p => p.Name),
        StringComparer.OrdinalIgnoreCase);

    /// <summary>The keys directly under <paramref name="section"/> that no property of <see cref="CacheOptions"/> binds.</summary>
    public static IReadOnlyList<string> Of(IConfiguration section)
    {
        // The whole configuration bound as the section: every other key of the app would be "unread".
        if (section is IConfigurationSection { Path.Length: 0 } or not IConfigurationSection)
        {
            return [];
        }

        return [.. section.GetChildren()
            .Where(child => !s_settings.Contains(child.Key))
            .Select(child => child.Path)];
    }

    public Task StartAsync(CancellationToken cancellationToken)
    {
        foreach (var path in Of(section))
        {
            Unread(logger, path, string.Join(", ", s_settings.Order(StringComparer.Ordinal)));
        }

        return Task.CompletedTask;
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    [LoggerMessage(EventId = 50, Level = LogLevel.Warning,
        Message = "The setting {Path} is not a cache setting, and nothing reads it. The cache's settings under that section are: {Settings}.")]
    private static partial void Unread(ILogger logger, string path, string settings);
}
