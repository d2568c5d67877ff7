using System.Globalization;

namespace Qset.Caching.Feed;

/// <summary>
/// Reads back what the change log's triggers write: the key columns of a row as SQLite's <c>quote()</c> renders them,
/// joined by commas (<c>42</c>, <c>'a,b'</c>, <c>X'0A1B'</c>, <c>NULL</c>, <c>1.5</c>). Quoted text keeps its commas.
/// </summary>
internal static class SqliteLiterals
{
    /// <summary>The values of <paramref name="text"/>: long, double, string, byte[] or null each.</summary>
    /// <exception cref="FormatException">The text is not a list of SQLite literals.</exception>
    public static IReadOnlyList<object?> Parse(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        List<object?> values = [];
        var i = 0;
        while (true)
        {
            values.Add(ReadOne(text, ref i));
            if (i == text.Length)
            {
                return values;
            }

            if (text[i] != ',')
            {
                throw new FormatException($"expected ',' at {i} in {text}");
            }

            i++;
        }
    }

    private static object? ReadOne(string text, ref int i)
    {
        if (i >= text.Length)
        {
            throw new FormatException($"a value is missing at the end of {text}");
        }

        switch (text[i])
        {
            case '\'':
                return ReadText(text, ref i);
            case 'X' or 'x' when i + 1 < text.Length && text[i + 1] == '\'':
                i++;
                return Convert.FromHexString(ReadText(text, ref i));
            case 'N' when string.CompareOrdinal(text, i, "NULL", 0, 4) == 0:
                i += 4;
                return null;
            default:
                var start = i;
                while (i < text.Length && text[i] != ',')
                {
                    i++;
                }

                var number = text[start..i];
                if (long.TryParse(number, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var integer))
                {
                    return integer;
                }

                if (double.TryParse(number, NumberStyles.Float, CultureInfo.InvariantCulture, out var real))
                {
                    return real;
                }

                throw new FormatException($"'{number}' is not an SQLite literal");
        }
    }

    private static string ReadText(string text, ref int i)
    {
        // At the opening quote; '' inside is one quote.
        var value = new System.Text.StringBuilder();
        i++;
        while (i < text.Length)
        {
            if (text[i] == '\'')
            {
                if (i + 1 < text.Length && text[i + 1] == '\'')
                {
                    value.Append('\'');
                    i += 2;
                    continue;
                }

                i++;
                return value.ToString();
            }

            value.Append(text[i]);
            i++;
        }

        throw new FormatException($"unterminated text in {text}");
    }
}
