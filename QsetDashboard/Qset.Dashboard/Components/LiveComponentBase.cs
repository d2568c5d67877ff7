using Microsoft.AspNetCore.Components;
using Qset.Caching;
using Qset.Dashboard.Model;

namespace Qset.Dashboard.Components;

/// <summary>
/// A component that stays live: it loads in <see cref="RefreshAsync"/>, then, once rendered interactively,
/// reloads and re-renders whenever the journal has news, at most ten times a second (and on a clock tick if
/// <see cref="TickInterval"/> is set). The journal subscription is disposed with the component.
/// </summary>
public abstract partial class LiveComponentBase : ComponentBase, IAsyncDisposable
{
    private ThrottledRefresh? _live;

    /// <summary>The journal whose events trigger refreshes.</summary>
    [Inject] public required EventJournal Journal { get; init; }

    /// <summary>The clock refreshes are spaced by.</summary>
    [Inject] public required TimeProvider TimeProvider { get; init; }

    /// <summary>Where a failed live refresh is reported (the page keeps its last good state).</summary>
    [Inject] public required ILogger<LiveComponentBase> Logger { get; init; }

    /// <summary>The live refresh, once the component has rendered interactively.</summary>
    private protected ThrottledRefresh? Live => _live;

    /// <summary>How many live refreshes (each a render) the journal's news has caused so far.</summary>
    internal int LiveRefreshCount => _live?.RefreshCount ?? 0;

    /// <summary>When set, the component also refreshes this often without events (countdowns, a sliding chart).</summary>
    protected virtual TimeSpan? TickInterval => null;

    /// <summary>The least time between two live refreshes (ten a second unless a page asks for fewer).</summary>
    protected virtual TimeSpan RefreshInterval => ThrottledRefresh.DefaultInterval;

    /// <summary>
    /// Whether a live refresh must reload (<see cref="RefreshAsync"/>); when false it only re-renders what it holds,
    /// after <see cref="OnClockTick"/> (a countdown moved on, nothing else changed).
    /// </summary>
    protected virtual bool ShouldReload() => true;

    /// <summary>A live refresh that does not reload: update what changes with time alone before the re-render.</summary>
    protected virtual void OnClockTick()
    {
    }

    /// <inheritdoc />
    public async ValueTask DisposeAsync()
    {
        _live?.Dispose();
        _live = null;
        await DisposeAsyncCore();
        GC.SuppressFinalize(this);
    }

    /// <summary>Reloads what the component shows; runs on the renderer's context before each live render.</summary>
    protected abstract Task RefreshAsync();

    /// <summary>Releases what a derived component holds.</summary>
    protected virtual ValueTask DisposeAsyncCore() => ValueTask.CompletedTask;

    /// <inheritdoc />
    protected override Task OnInitializedAsync() => RefreshAsync();

    /// <inheritdoc />
    protected override void OnAfterRender(bool firstRender)
    {
        // Subscribing after the first interactive render keeps prerendering (which is thrown away) free of subscriptions.
        if (firstRender && _live is null)
        {
            _live = new ThrottledRefresh(Journal, LiveRefreshAsync, TimeProvider, RefreshInterval);
            if (TickInterval is { } tick)
            {
                _live.TickEvery(tick);
            }

            _live.Request();
        }
    }

    private async Task LiveRefreshAsync()
    {
        try
        {
            await InvokeAsync(async () =>
            {
                if (ShouldReload())
                {
                    await RefreshAndRenderAsync();
                }
                else
                {
                    OnClockTick();
                    StateHasChanged();
                }
            });
        }
        catch (ObjectDisposedException)
        {
            // The circuit went away between the event and the refresh.
        }
#pragma warning disable CA1031 // A failed background refresh must not end the circuit; the next event retries.
        catch (Exception ex)
#pragma warning restore CA1031
        {
            LiveRefreshFailed(Logger, GetType().Name, ex);
        }
    }

    [LoggerMessage(EventId = 50, Level = LogLevel.Warning, Message = "A live refresh of {Component} failed; it keeps its last state")]
    private static partial void LiveRefreshFailed(ILogger logger, string component, Exception exception);

    /// <summary>Reloads and re-renders now, as after a user action.</summary>
    protected async Task RefreshAndRenderAsync()
    {
        await RefreshAsync();
        StateHasChanged();
    }
}
