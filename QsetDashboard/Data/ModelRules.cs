namespace QsetDashboard.Data;

/// <summary>The validation rules every entity shares, in one place for the database, the API and the UI.</summary>
public static class ModelRules
{
    /// <summary>The longest name an entity may have.</summary>
    public const int NameMaxLength = 100;

    /// <summary>Why a name with a lone surrogate or bytes that are not UTF-8 is refused.</summary>
    public const string NotTextMessage = "The name must be valid Unicode text (no lone surrogates, no invalid UTF-8).";

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

        if (name.Length > NameMaxLength)
        {
            return $"The name must be at most {NameMaxLength} characters.";
        }

        // SQLite stores UTF-8, and a lone surrogate has no UTF-8 form.
        return System.Text.Unicode.Utf8.FromUtf16(name, new byte[name.Length * 3], out _, out _, replaceInvalidSequences: false)
            == System.Buffers.OperationStatus.Done
            ? null
            : NotTextMessage;
    }
}
