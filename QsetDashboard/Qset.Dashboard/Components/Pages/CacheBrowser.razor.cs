using Microsoft.AspNetCore.Components;
using MudBlazor;
using Qset.Caching;
using Qset.Dashboard.Components.Dialogs;
using Qset.Dashboard.Model;

namespace Qset.Dashboard.Components.Pages;

/// <summary>
/// The key browser, one page at a time from the store's paged listing (filter by key text and type, in key order):
/// look at values, watch TTLs count down, invalidate one key or flush them all. A refresh asks for the visible page
/// only, so it costs the same with a hundred keys or a million.
/// </summary>
public sealed partial class CacheBrowser
{
    /// <summary>How many keys one page shows.</summary>
    public const int PageSize = 50;

    /// <summary>How many entries the largest-keys and TTL panels look at: a bounded sample, whatever the store's size.</summary>
    public const int SampleSize = 10_000;

    /// <summary>How often the sample is taken again (the page itself refreshes at most once a second).</summary>
    public static readonly TimeSpan SampleInterval = TimeSpan.FromSeconds(5);

    private const string AllTypes = "";

    private const string DashboardSource = "dashboard";

    // With a text filter over a million keys, about fifty short scans reach the end.
    private const int MaxCallsPerPage = 100;

    private readonly Stack<string?> _earlierPages = new();
    private IReadOnlyList<CacheEntryRow> _rows = [];
    private IReadOnlyList<string> _types = [];
    private IReadOnlyDictionary<string, int>? _typeCounts;
    private string? _text;
    private string _entityType = AllTypes;
    private CacheOrder _order = CacheOrder.Key;
    private string? _pageCursor;
    private string? _nextCursor;
    private int _total;
    private string? _message;
    private string? _selectedKey;
    private IReadOnlyList<CacheNode> _nodes = [];
    private IReadOnlyList<string> _holders = [];
    private IReadOnlyList<(string Key, int Hits)> _hottest = [];
    private IReadOnlyList<CacheNamespace>? _namespaces;
    private CacheSample? _sample;
    private long _sampledAt;
    private IReadOnlyList<CacheEntry> _entries = [];
    private long _journalAtReload = -1;
    private bool _settle;

    /// <summary>The dashboard's view of the cache: pages of keys, peeks, counts, nodes.</summary>
    [Inject] public required CacheView Cache { get; init; }

    [Inject] public required IDialogService Dialogs { get; init; }

    /// <summary>The keys read most in the last minute.</summary>
    [Inject] internal HotKeys HotKeys { get; init; } = default!;

    /// <inheritdoc />
    protected override TimeSpan? TickInterval => TimeSpan.FromSeconds(1);

    /// <inheritdoc />
    /// <remarks>At most once a second, however fast the cache churns.</remarks>
    protected override TimeSpan RefreshInterval => TimeSpan.FromSeconds(1);

    /// <summary>How many times the page has asked the store for its page of keys (tests read it).</summary>
    internal int Reloads { get; private set; }

    private int PageNumber => _earlierPages.Count + 1;

    /// <inheritdoc />
    protected override async Task RefreshAsync()
    {
        Reloads++;

        // An event may be journaled just before the change it reports reaches the store: a reload that had news
        // is followed by one more, a tick later, so the page settles on what the store holds after it.
        var journal = Journal.LastSequence;
        _settle = journal != _journalAtReload;
        _journalAtReload = journal;
        var text = string.IsNullOrWhiteSpace(_text) ? null : _text.Trim();
        var type = _entityType.Length == 0 ? null : _entityType;
        // A text filter may leave a store's page short (each call scans a bounded stretch of keys): follow the cursor
        // until the page is full or the keys end, in short calls that never hold the store for long.
        var page = await Cache.FillPageAsync(new CacheListQuery(PageSize, _pageCursor, text, type, _order), MaxCallsPerPage);
        var entries = page.Entries;
        var cursor = page.NextCursor;
        _entries = entries;
        _rows = [.. entries.Select(e => CacheEntryRow.From(e, TimeProvider))];
        _nextCursor = cursor;
        _total = await Cache.CountAsync();
        // The namespaces of the keys: entity types (and cached queries) with their counts, from the store's index by
        // type where it keeps one (O(types)); otherwise the types seen so far, without counts.
        _namespaces = await Cache.NamespacesAsync();
        _typeCounts = _namespaces?.ToDictionary(n => n.Name, n => n.Count, StringComparer.Ordinal);
        _types = _typeCounts is not null
            ? [.. _typeCounts.Keys.Append(_entityType).Where(t => t.Length > 0).Distinct().Order(StringComparer.Ordinal)]
            : [.. _types.Concat(_rows.Select(r => r.EntityType)).Append(_entityType).Where(t => t.Length > 0).Distinct().Order(StringComparer.Ordinal)];
        _hottest = HotKeys.Top(10);
        if (_sample is null || TimeProvider.GetElapsedTime(_sampledAt) >= SampleInterval)
        {
            _sample = await Cache.SampleAsync(SampleSize);
            _sampledAt = TimeProvider.GetTimestamp();
        }

        _nodes = await Cache.NodesAsync();
        _holders = Selected is { } selected && ShowsHolders ? await Cache.HoldersAsync(selected.Key) : [];
    }

    /// <inheritdoc />
    /// <remarks>
    /// The memory store changes only through this node, and each change is journaled: with no news since the last
    /// reload, none just before it (see <see cref="RefreshAsync"/>) and no sample due, a tick only moves the TTL
    /// countdowns. A shared store (Redis, Hybrid) changes through other nodes unseen here, so it is asked again each second.
    /// </remarks>
    protected override bool ShouldReload() =>
        Cache.Backend != "Memory"
        || _settle
        || Journal.LastSequence != _journalAtReload
        || TimeProvider.GetElapsedTime(_sampledAt) >= SampleInterval;

    /// <inheritdoc />
    protected override void OnClockTick()
    {
        // Only the countdowns move: the rows keep their JSON (written once per reload, not once a second).
        _rows = [.. _rows.Zip(_entries, (row, entry) => row.At(entry, TimeProvider))];
        Cache.KeepOrder(_order);
    }

    private string TypeLabel(string type) =>
        _typeCounts?.TryGetValue(type, out var count) == true ? $"{type} ({count.ToString("N0", System.Globalization.CultureInfo.InvariantCulture)})" : type;

    private bool ShowsHolders => _nodes.Count > 1 || Cache.Backend == "Hybrid";

    // The clicked key while it is listed, else the first row: the detail panel is never blank when there are keys.
    private CacheEntryRow? Selected => _rows.FirstOrDefault(r => r.Key == _selectedKey) ?? _rows.FirstOrDefault();

    private async Task SelectAsync(string key)
    {
        _selectedKey = key;
        _holders = ShowsHolders ? await Cache.HoldersAsync(key) : [];
    }

    private async Task FilterAsync()
    {
        _earlierPages.Clear();
        _pageCursor = null;
        await RefreshAsync();
    }

    private async Task FilterOnAsync(string key)
    {
        _text = key;
        _entityType = AllTypes;
        _selectedKey = key;
        await FilterAsync();
    }

    private static string Count(int count) => count.ToString("N0", System.Globalization.CultureInfo.InvariantCulture);

    private static string SampleCaption(CacheSample sample) =>
        sample.Complete ? $"all {Count(sample.Sampled)} keys" : $"a sample of {Count(sample.Sampled)} keys, the first in key order";

    private static int BarWidth(int count, int total) => total == 0 ? 0 : (int)Math.Round(100.0 * count / total);

    /// <summary>How the Sort select names an order.</summary>
    public static string OrderLabel(CacheOrder order) => order switch
    {
        CacheOrder.Newest => "Newest first",
        CacheOrder.Oldest => "Oldest first",
        CacheOrder.Ttl => "Expiring soonest",
        CacheOrder.Size => "Largest first",
        _ => "Key",
    };

    private async Task SortAsync(CacheOrder order)
    {
        _order = order;
        await FilterAsync();
    }

    private async Task FilterQueriesOnAsync(string table)
    {
        _entityType = Qset.Caching.Queries.QueryKeys.EntityType;
        _text = table;
        await FilterAsync();
    }

    private async Task SelectTypeAsync(string? type)
    {
        _entityType = type ?? AllTypes;
        await FilterAsync();
    }

    private async Task NextPageAsync()
    {
        if (_nextCursor is null)
        {
            return;
        }

        _earlierPages.Push(_pageCursor);
        _pageCursor = _nextCursor;
        await RefreshAsync();
    }

    private async Task PreviousPageAsync()
    {
        if (_earlierPages.Count == 0)
        {
            return;
        }

        _pageCursor = _earlierPages.Pop();
        await RefreshAsync();
    }

    private async Task InvalidateAsync(string key)
    {
        _message = await Cache.InvalidateAsync(key, DashboardSource) ? $"Invalidated {key}." : $"{key} was no longer cached.";
        await RefreshAsync();
    }

    private async Task FlushAsync()
    {
        var parameters = new DialogParameters<ConfirmDialog>
        {
            { d => d.Message, $"Remove all {_total} keys from the cache? Each is recorded as INVALIDATE; the next reads go to the database." },
            { d => d.ConfirmText, "Flush" },
        };
        var dialog = await Dialogs.ShowAsync<ConfirmDialog>("Flush the cache", parameters);
        var result = await dialog.Result;
        if (result is null || result.Canceled)
        {
            return;
        }

        var removed = await Cache.FlushAsync(DashboardSource);

        _message = $"Flushed {removed} keys.";
        await FilterAsync();
    }
}
