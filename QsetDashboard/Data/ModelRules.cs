namespace QsetDashboard.Data;

/// <summary>The validation rules every entity shares, in one place for the database, the API and the UI.</summary>
public static class ModelRules
{
    /// <summary>The longest name an entity may have.</summary>
    public const int NameMaxLength = 100;

    /// <summary>Returns why <paramref name="id"/> is not a valid entity id, or null when it is.</summary>
    public static string? ValidateId(long id) =>
        id is < 1 or > int.MaxValue ? $"The id must be a positive 32-bit integer (1 to {int.MaxValue})." : null;

    /// <summary>Returns why <paramref name="name"/> is not a valid entity name, or null when it is.</summary>
    public static string? ValidateName(string? name)
    {
        if (string.IsNullOrWhiteSpace(name))
        {
            return "The name is required and cannot be blank.";
        }

        return name.Length > NameMaxLength ? $"The name must be at most {NameMaxLength} characters." : null;
    }
}
