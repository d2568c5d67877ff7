using Microsoft.AspNetCore.Components;
using QsetDashboard.Model;

namespace QsetDashboard.Components.Pages;

/// <summary>Forms that drive the three styles by hand, with validation and HIT/MISS timing of every read.</summary>
public sealed partial class Playground
{
    private const int HistoryLimit = 20;

    private readonly List<HistoryItem> _history = [];
    private CacheStyle _style = CacheStyle.Generic;
    private EntityKind _entity = EntityKind.User;
    private string? _id = "2";
    private string? _name;
    private string? _idError;
    private string? _nameError;
    private bool _busy;
    private int _number;

    [Inject] public required PlaygroundOperations Operations { get; init; }

    private string KeyPreview => new PlaygroundInput(_id, null).ValidateId(out var id) is null
        ? PlaygroundOperations.KeyOf(_style, _entity, id)
        : "?";

    private Task CreateAsync() => RunAsync("Create", writes: true, needsName: true, (id, name) => Operations.CreateAsync(_style, _entity, id, name!));

    private Task ReadAsync() => RunAsync("Read", writes: false, needsName: false, (id, _) => Operations.ReadAsync(_style, _entity, id));

    private Task UpdateAsync() => RunAsync("Update", writes: true, needsName: true, (id, name) => Operations.UpdateAsync(_style, _entity, id, name!));

    private Task DeleteAsync() => RunAsync("Delete", writes: true, needsName: false, (id, _) => Operations.DeleteAsync(_style, _entity, id));

    private async Task RunAsync(string operation, bool writes, bool needsName, Func<int, string?, Task<PlaygroundOutcome>> action)
    {
        var input = new PlaygroundInput(_id, _name);
        _idError = writes ? input.ValidateWritableId(_entity, out var id) : input.ValidateId(out id);
        _nameError = needsName ? input.ValidateName() : null;
        if (_idError is not null || _nameError is not null || _busy)
        {
            return;
        }

        _busy = true;
        try
        {
            var outcome = await action(id, _name?.Trim());
            _history.Insert(0, new HistoryItem(++_number, $"{operation} {_entity} ({_style})", outcome));
        }
#pragma warning disable CA1031 // A failed operation is shown on the page; the circuit must survive it.
        catch (Exception ex)
#pragma warning restore CA1031
        {
            _history.Insert(0, new HistoryItem(++_number, $"{operation} {_entity} ({_style})",
                new PlaygroundOutcome(false, $"Failed: {ex.Message}", PlaygroundOperations.KeyOf(_style, _entity, id))));
        }
        finally
        {
            _busy = false;
        }

        if (_history.Count > HistoryLimit)
        {
            _history.RemoveRange(HistoryLimit, _history.Count - HistoryLimit);
        }
    }

    private sealed record HistoryItem(int Number, string Operation, PlaygroundOutcome Outcome);
}
