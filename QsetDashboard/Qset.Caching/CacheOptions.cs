using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Qset.Caching;

/// <summary>Where cached values live.</summary>
public enum CacheBackend
{
    /// <summary>An in-process memory cache.</summary>
    Memory,

    /// <summary>Redis, shared by every node.</summary>
    Redis,

    /// <summary>A memory L1 on each node over a shared Redis L2, with invalidations broadcast to every node.</summary>
    Hybrid,
}

/// <summary>The cache's settings, bound from the <c>Cache</c> configuration section.</summary>
public sealed class CacheOptions
{
    /// <summary>The configuration section these options bind to.</summary>
    public const string SectionName = "Cache";

    /// <summary>The most entries the store holds.</summary>
    public int Capacity { get; set; } = 100;

    /// <summary>How long an entry lives after it is populated.</summary>
    public TimeSpan DefaultTtl { get; set; } = TimeSpan.FromMinutes(5);

    /// <summary>When set, an entry also expires after going unread this long (sliding expiration).</summary>
    public TimeSpan? SlidingTtl { get; set; }

    /// <summary>How many of the latest events the in-memory journal keeps.</summary>
    public int JournalCapacity { get; set; } = 10_000;

    /// <summary>
    /// Refuse a populate whose key was invalidated after its database read began. Turn off only to watch the
    /// cache-aside race happen.
    /// </summary>
    public bool GuardPopulate { get; set; } = true;

    /// <summary>
    /// The level each cache event (<c>CACHE HIT key=User.1</c>) is logged at, under the category
    /// <c>Qset.Caching.CacheRecorder</c>: <see cref="LogLevel.Debug"/> by default, so that a host logging at Information
    /// writes no line per hit; <see cref="LogLevel.Information"/> for a transcript, <see cref="LogLevel.None"/> for none.
    /// </summary>
    public LogLevel EventLogLevel { get; set; } = LogLevel.Debug;

    /// <summary>How often the memory store looks for entries whose TTL ran out, so that EXPIRE shows without a read.</summary>
    public TimeSpan ExpirationScanInterval { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>
    /// Whether the memory store (and a Hybrid node's L1) also hands each value to a <c>MemoryCache</c>, as the design
    /// card has it. Reads never go through it: a hit reads the store's own lock-free index, because a
    /// <c>MemoryCache</c> hit writes the time into the entry it reads, which two threads on the same keys would share.
    /// So the copy only costs memory, about 165 bytes an entry: on, an entry costs about 1.9 times what raw
    /// <c>IMemoryCache</c> costs to hold the same value; off, about 0.9 times. Nothing else changes.
    /// </summary>
    public bool ValuesInMemoryCache { get; set; } = true;

    /// <summary>Where values live: <c>Memory</c> (default), <c>Redis</c> or <c>Hybrid</c>.</summary>
    public CacheBackend Backend { get; set; } = CacheBackend.Memory;

    /// <summary>The StackExchange.Redis connection string (<c>localhost:6379</c>), for the Redis and Hybrid backends.</summary>
    public string? Redis { get; set; }

    /// <summary>
    /// The prefix of every Redis key and channel this app uses, so that apps can share a server. On a Redis Cluster it
    /// must be a hash tag (<c>{name}:</c>), which puts every key of the app in one slot: one operation touches an entry,
    /// its generation and its indexes together, and a cluster runs that only within one slot. The default is one.
    /// </summary>
    public string RedisPrefix { get; set; } = "{qset}:";

    /// <summary>How long a Redis command may take before the cache gives up on it and reads the database.</summary>
    public TimeSpan RedisTimeout { get; set; } = TimeSpan.FromMilliseconds(500);

    /// <summary>
    /// How long a Hybrid node may serve its L1 after it last heard its own heartbeat come back through Redis, and so
    /// the longest a write waits for a node that does not acknowledge it (or, with Redis unreachable, for every node).
    /// </summary>
    public TimeSpan L1Lease { get; set; } = TimeSpan.FromSeconds(2);

    /// <summary>
    /// Follow every committed change to the tables the cached contexts map, whoever writes it (a script, another service,
    /// another node of this app), and invalidate what it makes stale. Off by default, because on SQLite it changes the
    /// database's schema: it installs a change-log table (<c>__qset_changes</c>) and three triggers on each cached table
    /// (<c>__qset_{Table}_insert</c>, <c>_update</c>, <c>_delete</c>), which add one small insert to each written row.
    /// Remove them with <c>UninstallQsetChangeFeedAsync</c> once every node has it off. While a feed is down, reads go to
    /// the database (nothing is served from the cache) and the health check says Degraded.
    /// </summary>
    public bool WatchDatabase { get; set; }

    /// <summary>How often the feed asks the database whether anything was committed (on SQLite, one <c>PRAGMA data_version</c>).</summary>
    public TimeSpan WatchInterval { get; set; } = TimeSpan.FromMilliseconds(25);

    /// <summary>
    /// How long the SQLite change log keeps a change. A node whose feed falls further behind than this (down longer)
    /// knows it missed changes and drops what it holds.
    /// </summary>
    public TimeSpan ChangeLogRetention { get; set; } = TimeSpan.FromMinutes(10);

    /// <summary>
    /// Fail-safe: how long past its TTL a value may still be served when the database read that would replace it fails.
    /// Only a value no write has invalidated since it was read (the populate guard says so) is served, marked stale
    /// (<c>STALE</c>, <see cref="CacheRead{T}.Stale"/>). Zero (the default) turns it off.
    /// </summary>
    public TimeSpan FailSafeMaxDuration { get; set; }

    /// <summary>
    /// Fail-safe: once a value is served because the database failed, how long it is served again before the database
    /// is tried once more, so that a failing database is not asked by every request.
    /// </summary>
    public TimeSpan FailSafeThrottle { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>
    /// How long the readers of a miss wait for the database before fail-safe answers them with the key's last value
    /// (when it may), the read going on in the background and populating, guarded. Zero (the default): they wait.
    /// </summary>
    public TimeSpan FactorySoftTimeout { get; set; }

    /// <summary>The longest a database read may take: past it the read fails, or fail-safe answers. Zero (the default): no limit.</summary>
    public TimeSpan FactoryHardTimeout { get; set; }

    /// <summary>
    /// Eager refresh: past this fraction of an entry's TTL (0.8: its last fifth), a hit also starts one background
    /// database read of the key, which populates it anew (guarded) before it expires; the hit is answered from the cache
    /// at once. Zero (the default) turns it off; otherwise it must be between 0 and 1.
    /// </summary>
    public double EagerRefreshThreshold { get; set; }

    /// <summary>
    /// Safe copies: every read hands out its own copy of the cached value (made through its JSON), so that code that
    /// changes what it read cannot change what the cache holds for the next reader. Off by default (the memory store and
    /// a Hybrid node's L1 share one instance between readers: treat it as read-only); a Redis read is a copy anyway.
    /// </summary>
    public bool CopyOnRead { get; set; }

    /// <summary>Safe copies for these entity types only (their cache names, <c>Book</c> or <c>ShopDb:Order</c>), when <see cref="CopyOnRead"/> is off.</summary>
    public IList<string> CopyOnReadTypes { get; } = [];

    /// <summary>
    /// Checks, on each hit, that a shared cached value still matches what was cached (its JSON), and reports one that
    /// code changed after reading it (an <c>ERROR</c> and a warning naming the key) and drops it. A JSON write per hit:
    /// for Development, not production.
    /// </summary>
    public bool CheckCachedValues { get; set; }

    /// <summary>
    /// Redis and Hybrid: one database read per key across nodes. A node that misses a key takes a lease on its read in
    /// Redis; the others that miss it meanwhile wait up to this long for its populate, then read the database
    /// themselves (a holder that dies releases it by expiry). Zero: one read per key per node only.
    /// </summary>
    public TimeSpan DistributedLoadWait { get; set; } = TimeSpan.FromSeconds(2);

    /// <summary>This node's name in a Hybrid cluster; unique per process by default.</summary>
    public string NodeId { get; set; } = $"{Environment.MachineName}-{Environment.ProcessId}-{Random.Shared.Next(0x1000, 0xFFFF):x4}";
}

/// <summary>Rejects settings the cache cannot run with, with a message that names the key and the allowed range.</summary>
/// <param name="section">The section the host bound, which the messages name keys under (<c>Qset:Capacity</c>).</param>
internal sealed class CacheOptionsValidator(string section) : IValidateOptions<CacheOptions>
{
    /// <inheritdoc />
    public ValidateOptionsResult Validate(string? name, CacheOptions options)
    {
        List<string> failures = [];
        if (options.Capacity is < 1 or > 1_000_000)
        {
            failures.Add($"{section}:Capacity must be between 1 and 1000000 (got {options.Capacity}).");
        }

        if (options.DefaultTtl <= TimeSpan.Zero || options.DefaultTtl > TimeSpan.FromDays(365))
        {
            failures.Add($"{section}:DefaultTtl must be a positive time span of at most 365 days, such as 00:05:00 (got {options.DefaultTtl}).");
        }

        if (options.SlidingTtl is { } sliding && (sliding <= TimeSpan.Zero || sliding > options.DefaultTtl))
        {
            failures.Add($"{section}:SlidingTtl must be positive and no longer than {section}:DefaultTtl (got {sliding}).");
        }

        if (options.JournalCapacity is < 16 or > 1_000_000)
        {
            failures.Add($"{section}:JournalCapacity must be between 16 and 1000000 (got {options.JournalCapacity}).");
        }

        if (!Enum.IsDefined(options.EventLogLevel))
        {
            failures.Add($"{section}:EventLogLevel must be one of {string.Join(", ", Enum.GetNames<LogLevel>())} (got {(int)options.EventLogLevel}).");
        }

        if (options.ExpirationScanInterval < TimeSpan.FromMilliseconds(10) || options.ExpirationScanInterval > TimeSpan.FromMinutes(10))
        {
            failures.Add($"{section}:ExpirationScanInterval must be between 00:00:00.010 and 00:10:00 (got {options.ExpirationScanInterval}).");
        }

        if (options.WatchInterval < TimeSpan.FromMilliseconds(1) || options.WatchInterval > TimeSpan.FromSeconds(10))
        {
            failures.Add($"{section}:WatchInterval must be between 00:00:00.001 and 00:00:10 (got {options.WatchInterval}).");
        }

        if (options.ChangeLogRetention < TimeSpan.FromSeconds(10) || options.ChangeLogRetention > TimeSpan.FromDays(7))
        {
            failures.Add($"{section}:ChangeLogRetention must be between 00:00:10 and 7.00:00:00 (got {options.ChangeLogRetention}).");
        }

        if (options.FailSafeMaxDuration < TimeSpan.Zero || options.FailSafeMaxDuration > TimeSpan.FromDays(7))
        {
            failures.Add($"{section}:FailSafeMaxDuration must be between 00:00:00 (off) and 7.00:00:00, such as 00:10:00 (got {options.FailSafeMaxDuration}).");
        }

        if (options.FailSafeThrottle < TimeSpan.FromMilliseconds(100) || options.FailSafeThrottle > TimeSpan.FromHours(1))
        {
            failures.Add($"{section}:FailSafeThrottle must be between 00:00:00.100 and 01:00:00, such as 00:00:30 (got {options.FailSafeThrottle}).");
        }

        if (options.EagerRefreshThreshold != 0 && !(options.EagerRefreshThreshold > 0 && options.EagerRefreshThreshold < 1))
        {
            failures.Add(string.Create(System.Globalization.CultureInfo.InvariantCulture,
                $"{section}:EagerRefreshThreshold must be 0 (off) or between 0 and 1 exclusive, such as 0.8 (got {options.EagerRefreshThreshold})."));
        }

        if (options.DistributedLoadWait < TimeSpan.Zero || options.DistributedLoadWait > TimeSpan.FromMinutes(1))
        {
            failures.Add($"{section}:DistributedLoadWait must be between 00:00:00 (off) and 00:01:00, such as 00:00:02 (got {options.DistributedLoadWait}).");
        }

        if (options.FactorySoftTimeout < TimeSpan.Zero || options.FactorySoftTimeout > TimeSpan.FromMinutes(10))
        {
            failures.Add($"{section}:FactorySoftTimeout must be between 00:00:00 (none) and 00:10:00, such as 00:00:00.500 (got {options.FactorySoftTimeout}).");
        }

        if (options.FactoryHardTimeout < TimeSpan.Zero || options.FactoryHardTimeout > TimeSpan.FromMinutes(10))
        {
            failures.Add($"{section}:FactoryHardTimeout must be between 00:00:00 (none) and 00:10:00, such as 00:00:05 (got {options.FactoryHardTimeout}).");
        }

        if (options.FactorySoftTimeout > TimeSpan.Zero && options.FactoryHardTimeout > TimeSpan.Zero && options.FactorySoftTimeout >= options.FactoryHardTimeout)
        {
            failures.Add($"{section}:FactorySoftTimeout ({options.FactorySoftTimeout}) must be shorter than {section}:FactoryHardTimeout ({options.FactoryHardTimeout}).");
        }

        if (!Enum.IsDefined(options.Backend))
        {
            failures.Add($"{section}:Backend must be Memory, Redis or Hybrid (got {options.Backend}).");
        }

        if (options.Backend != CacheBackend.Memory)
        {
            if (string.IsNullOrWhiteSpace(options.Redis))
            {
                failures.Add($"{section}:Redis must be a StackExchange.Redis connection string such as localhost:6379 when {section}:Backend is {options.Backend}.");
            }

            if (options.Backend == CacheBackend.Redis && options.SlidingTtl is not null)
            {
                failures.Add($"{section}:SlidingTtl is not supported by the Redis backend (a sliding TTL would write on every read); use Hybrid or Memory, or remove it.");
            }

            if (string.IsNullOrWhiteSpace(options.RedisPrefix) || options.RedisPrefix.Contains('*', StringComparison.Ordinal))
            {
                failures.Add($"{section}:RedisPrefix must be non-empty and must not contain '*'.");
            }

            if (options.RedisTimeout < TimeSpan.FromMilliseconds(10) || options.RedisTimeout > TimeSpan.FromSeconds(30))
            {
                failures.Add($"{section}:RedisTimeout must be between 00:00:00.010 and 00:00:30 (got {options.RedisTimeout}).");
            }

            if (options.L1Lease < TimeSpan.FromMilliseconds(200) || options.L1Lease > TimeSpan.FromSeconds(60))
            {
                failures.Add($"{section}:L1Lease must be between 00:00:00.200 and 00:01:00 (got {options.L1Lease}).");
            }

            if (string.IsNullOrWhiteSpace(options.NodeId) || options.NodeId.Contains('\n', StringComparison.Ordinal))
            {
                failures.Add($"{section}:NodeId must be a non-empty single line.");
            }
        }

        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }
}
