using Qset.Caching;

namespace Qset.Dashboard.Model;

/// <summary>What the events page shows: one kind or all, and key and source text (case-insensitive, contained).</summary>
internal sealed record EventFilter(CacheEventKind? Kind = null, string? Key = null, string? Source = null)
{
    /// <summary>True when <paramref name="cacheEvent"/> passes every part of the filter.</summary>
    public bool Matches(in CacheEvent cacheEvent) =>
        (Kind is null || cacheEvent.Kind == Kind)
        && Contains(cacheEvent.Key, Key)
        && Contains(cacheEvent.Source, Source);

    /// <summary>The matching events of <paramref name="newestFirst"/>, in the same order.</summary>
    public CacheEvent[] Apply(CacheEvent[] newestFirst)
    {
        ArgumentNullException.ThrowIfNull(newestFirst);
        if (IsEmpty)
        {
            return newestFirst;
        }

        return Array.FindAll(newestFirst, e => Matches(e));
    }

    /// <summary>True when the filter lets every event through.</summary>
    public bool IsEmpty => Kind is null && string.IsNullOrWhiteSpace(Key) && string.IsNullOrWhiteSpace(Source);

    private static bool Contains(string value, string? part) =>
        string.IsNullOrEmpty(part) || value.Contains(part.Trim(), StringComparison.OrdinalIgnoreCase);
}
