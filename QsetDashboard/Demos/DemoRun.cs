using Qset.Caching;

namespace QsetDashboard.Demos;

/// <summary>The outcome of one step: the events it raised, in order, and its result line.</summary>
public sealed record DemoStepResult(int Index, string Title, IReadOnlyList<CacheEvent> Events, string? Result, IReadOnlyList<string> Log);

/// <summary>
/// One walk through a scenario: step by step (the dashboard's Next step) or all at once (the API). The first
/// step resets the scenario's keys and rows, so every walk starts clean. Safe to call from several threads:
/// steps run one at a time, and one at a time across walks too (the scenario's run gate), so concurrent walks
/// never write the demos' shared rows at once.
/// </summary>
public sealed class DemoRun(DemoScenario scenario)
{
    private static readonly AsyncLocal<DemoRun?> s_current = new();
    private readonly SemaphoreSlim _gate = new(1, 1);
    private readonly List<DemoStepResult> _completed = [];
    private bool _started;

    /// <summary>The walk whose step (or reset) is running on this async flow: where a scenario keeps one walk's state.</summary>
    public static DemoRun? Current => s_current.Value;

    /// <summary>The scenario being walked.</summary>
    public DemoScenario Scenario => scenario;

    /// <summary>The index of the step <see cref="NextAsync"/> runs next.</summary>
    public int NextIndex => _completed.Count;

    /// <summary>True when every step has run.</summary>
    public bool IsComplete => _completed.Count == scenario.Steps.Count;

    /// <summary>The steps run so far.</summary>
    public IReadOnlyList<DemoStepResult> Completed => _completed;

    /// <summary>The transcript so far, in the seed's log format, header first.</summary>
    public IReadOnlyList<string> Log => [scenario.Header, .. _completed.SelectMany(s => s.Log)];

    /// <summary>Runs the next step and returns its result; null when the walk is complete.</summary>
    public Task<DemoStepResult?> NextAsync(CancellationToken cancellationToken = default) =>
        ExclusiveAsync(() => RunNextAsync(cancellationToken), cancellationToken);

    /// <summary>Runs every remaining step.</summary>
    public Task<IReadOnlyList<DemoStepResult>> RunAllAsync(CancellationToken cancellationToken = default) =>
        ExclusiveAsync<IReadOnlyList<DemoStepResult>>(async () =>
        {
            while (await RunNextAsync(cancellationToken).ConfigureAwait(false) is not null)
            {
            }

            return _completed;
        }, cancellationToken);

    /// <summary>Puts the walk back before its first step, with the scenario's keys cleared.</summary>
    public Task ResetAsync(CancellationToken cancellationToken = default) =>
        ExclusiveAsync(async () =>
        {
            _completed.Clear();
            await ResetScenarioAsync(cancellationToken).ConfigureAwait(false);
            return true;
        }, cancellationToken);

    // This walk's gate first, then the scenario's: always in that order, so two walks cannot deadlock.
    private async Task<T> ExclusiveAsync<T>(Func<Task<T>> work, CancellationToken cancellationToken)
    {
        await _gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            await scenario.RunGate.WaitAsync(cancellationToken).ConfigureAwait(false);
            try
            {
                return await work().ConfigureAwait(false);
            }
            finally
            {
                scenario.RunGate.Release();
            }
        }
        finally
        {
            _gate.Release();
        }
    }

    private async Task<DemoStepResult?> RunNextAsync(CancellationToken cancellationToken)
    {
        if (IsComplete)
        {
            return null;
        }

        if (!_started)
        {
            await ResetScenarioAsync(cancellationToken).ConfigureAwait(false);
        }

        var index = _completed.Count;
        var step = scenario.Steps[index];
        List<CacheEvent> events = [];
        string? result;
        s_current.Value = this;
        using (CacheContext.Capture(scenario.Name, events))
        {
            result = await step.Run(cancellationToken).ConfigureAwait(false);
        }

        CacheEvent[] ordered;
        lock (events)
        {
            ordered = [.. events.OrderBy(e => e.Sequence)];
        }

        List<string> log = [step.Title, .. ordered.Select(scenario.FormatEvent)];
        if (result is not null)
        {
            log.Add(result);
        }

        var stepResult = new DemoStepResult(index, step.Title, ordered, result, log);
        _completed.Add(stepResult);
        return stepResult;
    }

    private async Task ResetScenarioAsync(CancellationToken cancellationToken)
    {
        s_current.Value = this;
        using (CacheContext.Use(scenario.Name))
        {
            await scenario.ResetAsync(cancellationToken).ConfigureAwait(false);
        }

        _started = true;
    }
}
