using System.Data.Common;
using System.Globalization;
using System.Security.Cryptography;
using System.Text;

namespace Qset.Caching.Queries;

/// <summary>
/// Names cached query results: <c>Query.User.{hash}</c>, where the hash covers the SQL and every parameter's
/// name, type and value, so the same query with other values gets another key and the same values the same key.
/// </summary>
internal static class QueryKeys
{
    /// <summary>The entity type query results carry in events and entries.</summary>
    public const string EntityType = "Query";

    /// <summary>The prefix of every query key.</summary>
    public const string Prefix = EntityType + ".";

    /// <summary>The text a key is a hash of: the SQL, then one <c>@name (DbType) = value</c> line per parameter.</summary>
    public static string Fingerprint(string sql, DbParameterCollection parameters)
    {
        ArgumentNullException.ThrowIfNull(parameters);
        var text = new StringBuilder(sql);
        foreach (DbParameter parameter in parameters)
        {
            text.Append('\n').Append(parameter.ParameterName).Append(" (").Append(parameter.DbType).Append(") = ").Append(Format(parameter.Value));
        }

        return text.ToString();
    }

    /// <summary>The key of <paramref name="fingerprint"/>, reading <paramref name="tables"/>.</summary>
    public static string For(string fingerprint, IReadOnlyList<string> tables)
    {
        ArgumentNullException.ThrowIfNull(fingerprint);
        var hash = SHA256.HashData(Encoding.UTF8.GetBytes(fingerprint));
        var names = tables.Count == 0 ? "none" : string.Join('+', tables);
        return $"{Prefix}{names}.{Convert.ToHexStringLower(hash.AsSpan(0, 12))}";
    }

    /// <summary>The tables named in a query key (<c>Query.Team+User.ab12…</c> reads <c>Team</c> and <c>User</c>); empty for other keys.</summary>
    public static IReadOnlyList<string> TablesOf(string key)
    {
        if (key is null || !key.StartsWith(Prefix, StringComparison.Ordinal))
        {
            return [];
        }

        var last = key.LastIndexOf('.');
        if (last <= Prefix.Length)
        {
            return [];
        }

        var names = key[Prefix.Length..last];
        return names == "none" ? [] : names.Split('+');
    }

    private static string Format(object? value) => value switch
    {
        null or DBNull => "NULL",
        string s => $"'{s.Replace("'", "''", StringComparison.Ordinal)}'",
        byte[] bytes => "0x" + Convert.ToHexString(bytes),
        IFormattable formattable => formattable.ToString(null, CultureInfo.InvariantCulture),
        _ => value.ToString() ?? "",
    };
}
