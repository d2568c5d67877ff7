using System.Globalization;
using Qset.Caching;
using Qset.Dashboard.Model;

namespace Qset.Dashboard.Components.Pages;

/// <summary>The whole journal, newest first, filtered by kind, key and source; live unless paused; virtualized.</summary>
public sealed partial class Events
{
    private const float RowHeight = 36;

    private static readonly CultureInfo Culture = CultureInfo.InvariantCulture;

    private JournalWindow? _window;
    private CacheEvent[] _all = [];
    private CacheEvent[] _rows = [];
    private CacheEventKind? _kind;
    private string? _key;
    private string? _source;
    private bool _paused;
    private long _seenSequence;

    private long PendingWhilePaused => Journal.LastSequence - _seenSequence;

    /// <inheritdoc />
    protected override Task RefreshAsync()
    {
        if (!_paused)
        {
            _window ??= new JournalWindow(Journal, Journal.Capacity);
            _window.Update();
            _all = _window.NewestFirst;
            _seenSequence = _all.Length == 0 ? Journal.LastSequence : _all[0].Sequence;
        }

        _rows = new EventFilter(_kind, _key, _source).Apply(_all);
        return Task.CompletedTask;
    }

    private Task ApplyFilterAsync() => RefreshAsync();

    private Task SelectKindAsync(CacheEventKind? kind)
    {
        _kind = kind;
        return RefreshAsync();
    }

    private Task TogglePauseAsync()
    {
        _paused = !_paused;
        return RefreshAsync();
    }
}
