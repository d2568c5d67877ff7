using StackExchange.Redis;

namespace Qset.Caching.Redis;

/// <summary>
/// Whether the server can be used: one too old for the scripts, one that evicts any key (<c>allkeys-*</c>), or a
/// cluster under a prefix that is not a hash tag is refused, and every read goes to the database.
/// </summary>
internal sealed partial class RedisConnection
{
    /// <summary>
    /// Why a server cannot be used, or null when it can: older than <see cref="MinimumVersion"/> (the scripts would
    /// fail on every call); evicting any key under <c>maxmemory</c> (<paramref name="evictionPolicy"/>
    /// <c>allkeys-*</c>: the indexes carry no TTL so that a <c>volatile-*</c> policy never evicts them, and an entry
    /// left without its index would escape a bulk write's invalidation); or a cluster while <paramref name="prefix"/>
    /// is not a hash tag, so the keys one script touches (an entry, its generation, its indexes) would fall in
    /// different slots, which a cluster refuses.
    /// </summary>
    internal static string? Unfit(bool cluster, Version version, string prefix, string? evictionPolicy = null)
    {
        ArgumentNullException.ThrowIfNull(version);
        if (version < MinimumVersion)
        {
            return $"Redis {version} is older than {MinimumVersion}, the oldest the cache's scripts run on; upgrade the server";
        }

        if (evictionPolicy?.StartsWith("allkeys-", StringComparison.OrdinalIgnoreCase) == true)
        {
            return $"Redis evicts any key under its maxmemory-policy {evictionPolicy}, the cache's indexes too, and an entry whose index it evicted would escape invalidation by a bulk write; use a volatile-* policy (such as volatile-lru) or noeviction";
        }

        return cluster && !IsHashTag(prefix)
            ? $"Redis is a cluster and Cache:RedisPrefix '{prefix}' is not a hash tag, so the keys of one operation would fall in different slots; use a prefix such as '{{{prefix.TrimEnd(':')}}}:'"
            : null;
    }

    /// <summary>
    /// Whether the server can be used (see <see cref="Unfit"/>), as last read; empty when it can, null before it was
    /// read. Reads nothing itself: when a read is due it starts one in the background.
    /// </summary>
    private string? CheckFit()
    {
        var fit = Volatile.Read(ref _fit);
        if (_multiplexer.IsValueCreated
            && (fit is null || _timeProvider.GetElapsedTime(Volatile.Read(ref _fitCheckedAt)) >= _seams.FitRecheckInterval)
            && Multiplexer.IsConnected)
        {
            _ = RefreshFitAsync();
        }

        return fit;
    }

    /// <summary>Reads the server's fit, or joins the read under way.</summary>
    private Task RefreshFitAsync()
    {
        lock (_fitLock)
        {
            if (_fitCheck is { IsCompleted: false } running)
            {
                return running;
            }

            Volatile.Write(ref _fitCheckedAt, _timeProvider.GetTimestamp());
            return _fitCheck = ReadFitAsync(Multiplexer);
        }
    }

    /// <summary>
    /// Reads whether the server can be used: the handshake tells a cluster and the version, a script the eviction
    /// policy. Leaves the last answer standing when the server cannot be reached.
    /// </summary>
    private async Task ReadFitAsync(ConnectionMultiplexer multiplexer)
    {
        try
        {
            var servers = multiplexer.GetServers().Where(s => s.IsConnected).ToList();
            if (servers.Count == 0)
            {
                return;
            }

            // A server whose INFO the client could not read (an ACL that forbids it) shows the client's assumed version:
            // unknown, so not held against it.
            var version = servers.Min(s => s.Version)!;
            if (version == _assumedVersion)
            {
                version = MinimumVersion;
            }

            var cluster = servers.Any(s => s.ServerType == ServerType.Cluster);
            var (read, policy) = await EvictionPolicyAsync(multiplexer).ConfigureAwait(false);
            if (!read && Volatile.Read(ref _fit) is not null)
            {
                // A timeout is no news: the verdict of the last read stands (a refused server is not let in by one).
                return;
            }

            Volatile.Write(ref _cluster, cluster);
            var fit = Unfit(cluster, version, Prefix, policy) ?? Fit;
            if (Interlocked.Exchange(ref _fit, fit) != fit && fit.Length > 0)
            {
                LogMisconfigured(_logger, fit);

                // Degraded now, not at the next read: whatever turns the verdict back, a recovery then drops what
                // was held while the server could not be trusted.
                ReportFailure(fit);
            }
        }
        catch (Exception ex) when (IsOutage(ex))
        {
            // Unreachable now: the next read (or recovery) tries again.
        }
    }

    /// <summary>
    /// The <c>maxmemory_policy</c> of the server that holds the prefix's keys, from <c>INFO memory</c> (through a
    /// script: the client keeps INFO itself for admin mode). Not read (an ACL that forbids the script, a timeout), the
    /// policy is unknown, which is not held against a server the first time.
    /// </summary>
    private async Task<(bool Read, string? Policy)> EvictionPolicyAsync(ConnectionMultiplexer multiplexer)
    {
        try
        {
            var info = (string?)await multiplexer.GetDatabase().ScriptEvaluateAsync(RedisScripts.MemoryInfo, [EpochKey]).ConfigureAwait(false);
            const string Field = "maxmemory_policy:";
            var line = info?.Split('\n').FirstOrDefault(l => l.StartsWith(Field, StringComparison.Ordinal));
            return (true, line?[Field.Length..].Trim());
        }
        catch (Exception ex) when (IsOutage(ex))
        {
            return (false, null);
        }
    }
}
