namespace Qset.Caching.Redis;

/// <summary>
/// The Lua scripts that make the store's operations atomic on Redis, each in its own file under <c>Scripts/</c>
/// (embedded in the assembly), with what it takes (KEYS, ARGV) and returns at its top. A script's first line may name
/// the functions it uses (<c>-- uses: increment indexes</c>), from <c>Scripts/Functions/</c>; they are put before it.
/// </summary>
internal static class RedisScripts
{
    /// <summary>Scripts/invalidate.lua.</summary>
    public static readonly string Invalidate = Load("invalidate");

    /// <summary>Scripts/seed-epoch.lua.</summary>
    public static readonly string SeedEpoch = Load("seed-epoch");

    /// <summary>Scripts/memory-info.lua.</summary>
    public static readonly string MemoryInfo = Load("memory-info");

    /// <summary>Scripts/bump.lua.</summary>
    public static readonly string Bump = Load("bump");

    /// <summary>Scripts/invalidate-type-chunk.lua.</summary>
    public static readonly string InvalidateTypeChunk = Load("invalidate-type-chunk");

    /// <summary>Scripts/beat.lua.</summary>
    public static readonly string Beat = Load("beat");

    /// <summary>Scripts/nodes.lua.</summary>
    public static readonly string Nodes = Load("nodes");

    /// <summary>Scripts/new-epoch.lua.</summary>
    public static readonly string NewEpoch = Load("new-epoch");

    /// <summary>Scripts/drop-chunk.lua.</summary>
    public static readonly string DropChunk = Load("drop-chunk");

    /// <summary>Scripts/count.lua.</summary>
    public static readonly string Count = Load("count");

    /// <summary>Scripts/trim-expired.lua.</summary>
    public static readonly string TrimExpired = Load("trim-expired");

    /// <summary>Scripts/prune.lua.</summary>
    public static readonly string Prune = Load("prune");

    /// <summary>Scripts/page.lua.</summary>
    public static readonly string Page = Load("page");

    /// <summary>Scripts/populate.lua.</summary>
    public static readonly string Populate = Load("populate");

    /// <summary>Scripts/live-members.lua.</summary>
    public static readonly string LiveMembers = Load("live-members");

    /// <summary>Scripts/scan-live.lua.</summary>
    public static readonly string ScanLive = Load("scan-live");

    /// <summary>Scripts/load-release.lua.</summary>
    public static readonly string LoadRelease = Load("load-release");

    /// <summary>Scripts/feed-lease.lua.</summary>
    public static readonly string FeedLease = Load("feed-lease");

    /// <summary>Scripts/feed-release.lua.</summary>
    public static readonly string FeedRelease = Load("feed-release");

    /// <summary>Scripts/count-by-type.lua.</summary>
    public static readonly string CountByType = Load("count-by-type");

    private static string Load(string name)
    {
        var script = Read(name);
        if (!script.StartsWith(UsesMark, StringComparison.Ordinal))
        {
            return script;
        }

        var end = script.IndexOf('\n', StringComparison.Ordinal);
        var functions = script[UsesMark.Length..end].Split([' ', '\r'], StringSplitOptions.RemoveEmptyEntries);
        return string.Concat(functions.Select(Read).Append(script[(end + 1)..]));
    }

    private const string UsesMark = "-- uses: ";

    private static string Read(string name)
    {
        using var stream = typeof(RedisScripts).Assembly.GetManifestResourceStream($"{ResourcePrefix}{name}.lua")
            ?? throw new InvalidOperationException($"The Lua script {name}.lua is not embedded in {typeof(RedisScripts).Assembly.GetName().Name}.");
        using var reader = new StreamReader(stream);
        return reader.ReadToEnd();
    }

    private const string ResourcePrefix = "Qset.Caching.Redis.Scripts.";
}
