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

    /// <summary>The tables <paramref name="sql"/> writes, with the statement's verb, in order of appearance.</summary>
    public static IReadOnlyList<(string Verb, string Table)> Written(string? sql)
    {
        List<(string, string)> found = [];
        foreach (Match match in WriteTarget().Matches(Blank(sql)))
        {
            var table = Unquote(match.Groups["name"].Value);
            if (!s_notTables.Contains(table) && !found.Exists(f => string.Equals(f.Item2, table, StringComparison.OrdinalIgnoreCase)))
            {
                found.Add((match.Groups["verb"].Value.ToUpperInvariant(), table));
            }
        }

        return found;
    }

    /// <summary>The tables <paramref name="sql"/> reads, each once.</summary>
    public static IReadOnlyList<string> Read(string? sql)
    {
        List<string> found = [];
        foreach (Match match in ReadSource().Matches(Blank(sql)))
        {
            var table = Unquote(match.Groups["name"].Value);
            if (!s_notTables.Contains(table) && !found.Contains(table, StringComparer.OrdinalIgnoreCase))
            {
                found.Add(table);
            }
        }

        return found;
    }

    private static string Blank(string? sql) => string.IsNullOrEmpty(sql) ? "" : CommentOrLiteral().Replace(sql, " ");

    private static string Unquote(string name)
    {
        // schema.table: the table is the last part.
        var parts = name.Split('.', StringSplitOptions.TrimEntries);
        return parts[^1].Trim('"', '[', ']', '`');
    }

    [GeneratedRegex("""--[^\n]*|/\*.*?\*/|'(?:[^']|'')*'""", RegexOptions.Singleline)]
    private static partial Regex CommentOrLiteral();

    [GeneratedRegex($"""(?<![\w.])(?<verb>UPDATE|INSERT|REPLACE|DELETE|TRUNCATE)(?:\s+OR\s+\w+)?(?:\s+(?:INTO|FROM|TABLE))?\s+(?<name>{Name}(?:\s*\.\s*{Name})?)""", RegexOptions.IgnoreCase)]
    private static partial Regex WriteTarget();

    [GeneratedRegex($"""(?<![\w.])(?:FROM|JOIN)\s+(?<name>{Name}(?:\s*\.\s*{Name})?)""", RegexOptions.IgnoreCase)]
    private static partial Regex ReadSource();
}
