using System.Text.RegularExpressions;

namespace Qset.Caching.Interceptors;

/// <summary>
/// Finds the tables a SQL statement writes (<c>UPDATE</c>, <c>INSERT … INTO</c>, <c>REPLACE INTO</c>,
/// <c>DELETE FROM</c>, <c>TRUNCATE</c>) or reads (<c>FROM</c>, <c>JOIN</c>). A lexical scan, not a parser:
/// comments and string literals are blanked first, so a name inside a literal is never taken for a table.
/// When in doubt it finds more tables, never fewer, which costs an extra invalidation, never a stale read.
/// </summary>
internal static partial class SqlTables
{
    private const string Name = """(?:"[^"]+"|\[[^\]]+\]|`[^`]+`|[A-Za-z_][\w$]*)""";

    private static readonly HashSet<string> s_notTables = new(StringComparer.OrdinalIgnoreCase) { "SET", "OF", "NOWAIT", "SKIP", "ONLY" };

    /// <summary>
    /// The tables <paramref name="sql"/> writes, with the statement's verb and the schema it names (null when it names
    /// none), in order of appearance.
    /// </summary>
    public static IReadOnlyList<(string Verb, string Table, string? Schema)> Written(string? sql)
    {
        List<(string, string, string?)> found = [];
        foreach (Match match in WriteTarget().Matches(Blank(sql)))
        {
            var (schema, table) = Split(match.Groups["name"].Value);
            if (!s_notTables.Contains(table) && !found.Exists(f => Same(f.Item2, f.Item3, table, schema)))
            {
                found.Add((match.Groups["verb"].Value.ToUpperInvariant(), table, schema));
            }
        }

        return found;
    }

    /// <summary>The tables <paramref name="sql"/> reads, each once, with the schema it names (null when none).</summary>
    public static IReadOnlyList<(string Table, string? Schema)> Read(string? sql)
    {
        List<(string, string?)> found = [];
        foreach (Match match in ReadSource().Matches(Blank(sql)))
        {
            var (schema, table) = Split(match.Groups["name"].Value);
            if (!s_notTables.Contains(table) && !found.Exists(f => Same(f.Item1, f.Item2, table, schema)))
            {
                found.Add((table, schema));
            }
        }

        return found;
    }

    private static bool Same(string table, string? schema, string otherTable, string? otherSchema) =>
        string.Equals(table, otherTable, StringComparison.OrdinalIgnoreCase) && string.Equals(schema, otherSchema, StringComparison.OrdinalIgnoreCase);

    private static string Blank(string? sql) => string.IsNullOrEmpty(sql) ? "" : CommentOrLiteral().Replace(sql, " ");

    // schema.table: the table is the last part, the schema the one before it.
    private static (string? Schema, string Table) Split(string name)
    {
        var parts = name.Split('.', StringSplitOptions.TrimEntries);
        return (parts.Length > 1 ? Unquote(parts[^2]) : null, Unquote(parts[^1]));
    }

    private static string Unquote(string part) => part.Trim('"', '[', ']', '`');

    [GeneratedRegex("""--[^\n]*|/\*.*?\*/|'(?:[^']|'')*'""", RegexOptions.Singleline)]
    private static partial Regex CommentOrLiteral();

    [GeneratedRegex($"""(?<![\w.])(?<verb>UPDATE|INSERT|REPLACE|DELETE|TRUNCATE)(?:\s+OR\s+\w+)?(?:\s+(?:INTO|FROM|TABLE))?\s+(?<name>{Name}(?:\s*\.\s*{Name})?)""", RegexOptions.IgnoreCase)]
    private static partial Regex WriteTarget();

    [GeneratedRegex($"""(?<![\w.])(?:FROM|JOIN)\s+(?<name>{Name}(?:\s*\.\s*{Name})?)""", RegexOptions.IgnoreCase)]
    private static partial Regex ReadSource();
}
