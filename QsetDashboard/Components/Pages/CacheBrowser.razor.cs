using Microsoft.AspNetCore.Components;
using MudBlazor;
using QsetDashboard.Caching;
using QsetDashboard.Caching.Redis;
using QsetDashboard.Components.Dialogs;
using QsetDashboard.Model;

namespace QsetDashboard.Components.Pages;

/// <summary>The key browser: filter, look at values, watch TTLs count down, invalidate one key or flush them all.</summary>
public sealed partial class CacheBrowser
{
    private const string AllTypes = "";

    private IReadOnlyList<CacheEntryRow> _rows = [];
    private IReadOnlyList<string> _types = [];
    private string? _text;
    private string _entityType = AllTypes;
    private int _total;
    private string? _message;
    private string? _selectedKey;
    private IReadOnlyList<CacheNode> _nodes = [];

    [Inject] public required QsetCache Cache { get; init; }

    [Inject] public required IDialogService Dialogs { get; init; }

    /// <summary>The nodes sharing the cache, and the keys each holds in L1.</summary>
    [Inject] public required NodeDirectory Nodes { get; init; }

    /// <inheritdoc />
    protected override TimeSpan? TickInterval => TimeSpan.FromSeconds(1);

    /// <inheritdoc />
    protected override async Task RefreshAsync()
    {
        var entries = await Cache.Store.ListAsync();
        _total = entries.Count;
        _types = [.. entries.Select(e => e.EntityType).Append(_entityType).Where(t => t.Length > 0).Distinct().Order(StringComparer.Ordinal)];
        _rows = CacheEntryRow.Browse(entries, TimeProvider, _text, _entityType);
        _nodes = await Nodes.GetNodesAsync();
    }

    private IReadOnlyList<string> HeldBy(string key) =>
        [.. _nodes.Where(n => n.Keys.Contains(key, StringComparer.Ordinal)).Select(n => n.NodeId)];

    // The clicked key while it is listed, else the first row: the detail panel is never blank when there are keys.
    private CacheEntryRow? Selected => _rows.FirstOrDefault(r => r.Key == _selectedKey) ?? _rows.FirstOrDefault();

    private void Select(string key) => _selectedKey = key;

    private async Task SelectTypeAsync(string? type)
    {
        _entityType = type ?? AllTypes;
        await RefreshAsync();
    }

    private async Task InvalidateAsync(string key)
    {
        var entry = await Cache.Store.GetAsync(key);
        using (CacheContext.Use("dashboard"))
        {
            await Cache.InvalidateAsync(key, entry?.EntityType, "invalidated by hand");
        }

        _message = $"Invalidated {key}.";
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

        int removed;
        using (CacheContext.Use("dashboard"))
        {
            removed = await Cache.FlushAsync();
        }

        _message = $"Flushed {removed} keys.";
        await RefreshAsync();
    }
}
