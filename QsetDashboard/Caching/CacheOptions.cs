using Microsoft.Extensions.Options;

namespace QsetDashboard.Caching;

/// <summary>The cache's settings, bound from the <c>Cache</c> configuration section.</summary>
public sealed class CacheOptions
{
    /// <summary>The configuration section these options bind to.</summary>
    public const string SectionName = "Cache";

    /// <summary>The most entries the store holds, like the seed's <c>--cache2 items=100</c>.</summary>
    public int Capacity { get; set; } = 100;

    /// <summary>How long an entry lives after it is populated.</summary>
    public TimeSpan DefaultTtl { get; set; } = TimeSpan.FromMinutes(5);

    /// <summary>When set, an entry also expires after going unread this long (sliding expiration).</summary>
    public TimeSpan? SlidingTtl { get; set; }

    /// <summary>How many of the latest events the in-memory journal keeps.</summary>
    public int JournalCapacity { get; set; } = 10_000;

    /// <summary>
    /// Refuse a populate whose key was invalidated after its database read began. Turn off only to watch the
    /// cache-aside race happen (the race lab does).
    /// </summary>
    public bool GuardPopulate { get; set; } = true;

    /// <summary>How often the memory store looks for entries whose TTL ran out, so that EXPIRE shows without a read.</summary>
    public TimeSpan ExpirationScanInterval { get; set; } = TimeSpan.FromSeconds(1);
}

/// <summary>Rejects settings the cache cannot run with, with a message that names the key and the allowed range.</summary>
public sealed class CacheOptionsValidator : IValidateOptions<CacheOptions>
{
    /// <inheritdoc />
    public ValidateOptionsResult Validate(string? name, CacheOptions options)
    {
        List<string> failures = [];
        if (options.Capacity is < 1 or > 1_000_000)
        {
            failures.Add($"Cache:Capacity must be between 1 and 1000000 (got {options.Capacity}).");
        }

        if (options.DefaultTtl <= TimeSpan.Zero || options.DefaultTtl > TimeSpan.FromDays(365))
        {
            failures.Add($"Cache:DefaultTtl must be a positive time span of at most 365 days, such as 00:05:00 (got {options.DefaultTtl}).");
        }

        if (options.SlidingTtl is { } sliding && (sliding <= TimeSpan.Zero || sliding > options.DefaultTtl))
        {
            failures.Add($"Cache:SlidingTtl must be positive and no longer than Cache:DefaultTtl (got {sliding}).");
        }

        if (options.JournalCapacity is < 16 or > 1_000_000)
        {
            failures.Add($"Cache:JournalCapacity must be between 16 and 1000000 (got {options.JournalCapacity}).");
        }

        if (options.ExpirationScanInterval < TimeSpan.FromMilliseconds(10) || options.ExpirationScanInterval > TimeSpan.FromMinutes(10))
        {
            failures.Add($"Cache:ExpirationScanInterval must be between 00:00:00.010 and 00:10:00 (got {options.ExpirationScanInterval}).");
        }

        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }
}
