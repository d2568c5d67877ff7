using Microsoft.AspNetCore.Components;
using Qset.Caching;
using QsetDashboard.Demos;
using Qset.Dashboard.Model;
using QsetDashboard.Model;

namespace QsetDashboard.Components.Controls;

/// <summary>
/// One demo, step by step: the steps with the current one highlighted, Next step / Run all / Reset, the
/// transcript in the seed's log format, the live cache contents of the demo's keys and its events as a timeline.
/// Any scenario in <see cref="DemoCatalog"/> works; other pages add their own controls through <see cref="ToolbarContent"/>.
/// </summary>
public sealed partial class DemoRunner
{
    private const int TimelineLimit = 200;

    private DemoScenario? _scenario;
    private DemoRun? _run;
    private JournalWindow? _window;
    private IReadOnlyList<CacheEntryRow> _entries = [];
    private IReadOnlyList<CacheEvent> _events = [];
    private bool _busy;
    private string? _error;

    /// <summary>The scenario's name, as in <c>/demos/{name}</c>.</summary>
    [Parameter, EditorRequired] public string ScenarioName { get; set; } = string.Empty;

    /// <summary>Extra controls placed after Reset (the race lab adds its own).</summary>
    [Parameter] public RenderFragment? ToolbarContent { get; set; }

    /// <summary>Called after each step the runner runs.</summary>
    [Parameter] public EventCallback<DemoStepResult> OnStepCompleted { get; set; }

    /// <summary>The walk shown, for pages that extend the runner.</summary>
    public DemoRun? Run => _run;

    [Inject] public required DemoCatalog Catalog { get; init; }

    [Inject] public required DemoSessions Sessions { get; init; }

    [Inject] public required CacheView View { get; init; }

    /// <inheritdoc />
    protected override TimeSpan? TickInterval => TimeSpan.FromSeconds(1);

    /// <inheritdoc />
    protected override async Task OnParametersSetAsync()
    {
        var scenario = Catalog.Find(ScenarioName);
        if (ReferenceEquals(scenario, _scenario))
        {
            return;
        }

        _scenario = scenario;
        _run = scenario is null ? null : Sessions.For(scenario);
        _window = scenario is null ? null : new JournalWindow(Journal, TimelineLimit, e => e.Source == scenario.Name);
        _error = null;
        await RefreshAsync();
    }

    /// <inheritdoc />
    protected override async Task RefreshAsync()
    {
        if (_scenario is null || _window is null)
        {
            return;
        }

        _window.Update();
        _events = _window.NewestFirst;
        _entries = [.. (await DemoKeys.HeldAsync(_scenario, View)).Select(e => CacheEntryRow.From(e, TimeProvider))];
    }

    private Task NextAsync() => RunStepAsync(async run =>
    {
        if (await run.NextAsync() is { } result)
        {
            await OnStepCompleted.InvokeAsync(result);
        }
    });

    private Task RunAllAsync() => RunStepAsync(async run =>
    {
        var before = run.NextIndex;
        var results = await run.RunAllAsync();
        foreach (var result in results.Skip(before))
        {
            await OnStepCompleted.InvokeAsync(result);
        }
    });

    private Task ResetAsync() => RunStepAsync(run => run.ResetAsync());

    private async Task RunStepAsync(Func<DemoRun, Task> action)
    {
        if (_run is null || _busy)
        {
            return;
        }

        _busy = true;
        _error = null;
        try
        {
            await action(_run);
        }
#pragma warning disable CA1031 // A failed step is shown on the page; the circuit must survive it.
        catch (Exception ex)
#pragma warning restore CA1031
        {
            _error = $"The step failed: {ex.Message}";
        }
        finally
        {
            _busy = false;
        }

        await RefreshAsync();
    }
}
