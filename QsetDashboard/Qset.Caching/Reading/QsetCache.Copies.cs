using System.Runtime.CompilerServices;

namespace Qset.Caching;

/// <summary>
/// Safe copies (<see cref="CacheOptions.CopyOnRead"/>, <see cref="CacheOptions.CopyOnReadTypes"/>): a read hands out a
/// copy of the cached value, not the instance the cache shares. And the check of shared values
/// (<see cref="CacheOptions.CheckCachedValues"/>): a fingerprint of each populated value's JSON, compared on each hit; a
/// value some reader changed is reported and dropped.
/// </summary>
public sealed partial class QsetCache
{
    private ConditionalWeakTable<object, StrongBox<int>>? _fingerprints;
    private HashSet<string>? _copyTypes;
    private bool _copyAll;

    /// <summary>True when reads are copied or checked: the hot path asks this one flag.</summary>
    private bool GuardsValues { get; set; }

    private void ConfigureCopies(CacheOptions options)
    {
        _copyAll = options.CopyOnRead;
        _copyTypes = options.CopyOnReadTypes.Count > 0 ? new HashSet<string>(options.CopyOnReadTypes, StringComparer.Ordinal) : null;
        _fingerprints = options.CheckCachedValues ? new ConditionalWeakTable<object, StrongBox<int>>() : null;
        GuardsValues = _copyAll || _copyTypes is not null || _fingerprints is not null;
    }

    /// <summary>The value a reader of <paramref name="key"/> gets: checked when asked to be, and its own copy when asked to be.</summary>
    private T Hand<T>(string key, string entityType, T value)
        where T : class
    {
        if (_fingerprints is { } prints && prints.TryGetValue(value, out var print) && CacheJson.Fingerprint(value) != print.Value)
        {
            // Reported once: the value goes, and the next read brings a fresh one.
            prints.Remove(value);
            _recorder.RecordMutated(key, entityType,
                $"the {value.GetType().Name} cached under {key} no longer matches what was cached: code that read it changed it, and every reader shares it. Treat cached values as read-only, or turn Cache:CopyOnRead on; the key is dropped");
            _ = DropMutatedAsync(key, entityType);
        }

        return _copyAll || (_copyTypes?.Contains(entityType) ?? false) ? (T)CacheJson.Copy(value) : value;
    }

    /// <summary>Records the fingerprint of a value just populated, when shared values are checked.</summary>
    private void Fingerprint(object value) => _fingerprints?.AddOrUpdate(value, new StrongBox<int>(CacheJson.Fingerprint(value)));

    private async Task DropMutatedAsync(string key, string entityType)
    {
        try
        {
            await InvalidateAsync(key, entityType, "dropped: a reader changed the cached value").ConfigureAwait(false);
        }
#pragma warning disable CA1031 // The value was reported; a store that cannot drop it now drops it at its TTL.
        catch (Exception)
#pragma warning restore CA1031
        {
        }
    }
}
