using System.Globalization;
using Microsoft.AspNetCore.Components;
using Qset.Caching;
using Qset.Caching.Ledger;

namespace Qset.Dashboard.Components.Pages;

/// <summary>The savings ledger: what caching saved per entity type and per cached query, refreshed as events arrive.</summary>
public sealed partial class Ledger : IDisposable
{
    private static readonly TimeSpan s_refreshDelay = TimeSpan.FromMilliseconds(500);

    private readonly CancellationTokenSource _disposed = new();
    private LedgerSnapshot _snapshot = null!;
    private IDisposable? _subscription;
    private int _refreshPending;

    /// <summary>The books.</summary>
    [Inject] internal SavingsLedger SavingsLedger { get; init; } = null!;

    /// <summary>The journal whose events trigger a refresh.</summary>
    [Inject] public required EventJournal Journal { get; init; }

    /// <summary>The clock the refresh throttle waits on.</summary>
    [Inject] public required TimeProvider TimeProvider { get; init; }

    /// <inheritdoc />
    public void Dispose()
    {
        _subscription?.Dispose();
        _disposed.Cancel();
        _disposed.Dispose();
    }

    /// <inheritdoc />
    protected override void OnInitialized()
    {
        _snapshot = SavingsLedger.Snapshot();
        _subscription = Journal.Subscribe(_ => ScheduleRefresh());
    }

    private static string FormatMs(double milliseconds) =>
        milliseconds >= 1_000
            ? (milliseconds / 1_000).ToString("0.00 's'", CultureInfo.InvariantCulture)
            : milliseconds.ToString("0.00 'ms'", CultureInfo.InvariantCulture);

    // Bursts of events (a demo run) become one re-render per half second, not one per event.
    private void ScheduleRefresh()
    {
        if (Interlocked.Exchange(ref _refreshPending, 1) == 1)
        {
            return;
        }

        _ = RefreshLaterAsync();
    }

    private async Task RefreshLaterAsync()
    {
        try
        {
            await Task.Delay(s_refreshDelay, TimeProvider, _disposed.Token);
            Interlocked.Exchange(ref _refreshPending, 0);
            await InvokeAsync(() =>
            {
                _snapshot = SavingsLedger.Snapshot();
                StateHasChanged();
            });
        }
        catch (OperationCanceledException)
        {
            // The page closed.
        }
        catch (ObjectDisposedException)
        {
            // The page closed between the delay and the render.
        }
    }
}
