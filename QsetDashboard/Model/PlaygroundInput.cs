using System.Globalization;
using QsetDashboard.Data;

namespace QsetDashboard.Model;

/// <summary>The playground form's text, checked with the same rules as the API and the database.</summary>
public sealed record PlaygroundInput(string? IdText, string? Name)
{
    /// <summary>Why the id is not valid, or null; sets <paramref name="id"/> when it is.</summary>
    public string? ValidateId(out int id)
    {
        id = 0;
        if (string.IsNullOrWhiteSpace(IdText))
        {
            return "The id is required.";
        }

        if (!long.TryParse(IdText.Trim(), NumberStyles.None, CultureInfo.InvariantCulture, out var value))
        {
            return "The id must be a whole number such as 1.";
        }

        if (ModelRules.ValidateId(value) is { } error)
        {
            return error;
        }

        id = (int)value;
        return null;
    }

    /// <summary>As <see cref="ValidateId"/>, and also refuses an id a demo owns, for a create, update or delete.</summary>
    public string? ValidateWritableId(EntityKind entity, out int id) =>
        ValidateId(out id) ?? PlaygroundOperations.WhyReserved(entity, id);

    /// <summary>Why the name is not valid, or null.</summary>
    public string? ValidateName() => ModelRules.ValidateName(Name);
}
