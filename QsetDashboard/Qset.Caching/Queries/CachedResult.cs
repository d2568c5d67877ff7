using System.Data.Common;
using System.Text.Json.Serialization;

namespace Qset.Caching.Queries;

/// <summary>
/// A query's result as the database returned it: columns and raw values per result set. EF materializes fresh
/// entities from it on every hit, so no two readers share an entity instance, and tracking works as usual.
/// </summary>
internal sealed class CachedResult
{
    /// <summary>The SQL and parameter values the result answers (the key's fingerprint), checked on every hit.</summary>
    public required string Fingerprint { get; init; }

    /// <summary>The result sets, in order.</summary>
    public required IReadOnlyList<CachedResultSet> ResultSets { get; init; }

    /// <summary>How many rows all result sets hold.</summary>
    public int RowCount => ResultSets.Sum(r => r.Rows.Count);

    /// <summary>Runs <paramref name="command"/> and reads every row of every result set.</summary>
    public static async Task<CachedResult?> ReadAsync(DbCommand command, string fingerprint, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(command);
        List<CachedResultSet> sets = [];
        var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        await using (reader.ConfigureAwait(false))
        {
            do
            {
                var set = CachedResultSet.Describe(reader);
                while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
                {
                    set.Add(reader);
                }

                sets.Add(set);
            }
            while (await reader.NextResultAsync(cancellationToken).ConfigureAwait(false));
        }

        return new CachedResult { Fingerprint = fingerprint, ResultSets = sets };
    }

    /// <summary>As <see cref="ReadAsync"/>, synchronously, for EF's synchronous queries.</summary>
    public static CachedResult Read(DbCommand command, string fingerprint)
    {
        ArgumentNullException.ThrowIfNull(command);
        List<CachedResultSet> sets = [];
        using var reader = command.ExecuteReader();
        do
        {
            var set = CachedResultSet.Describe(reader);
            while (reader.Read())
            {
                set.Add(reader);
            }

            sets.Add(set);
        }
        while (reader.NextResult());

        return new CachedResult { Fingerprint = fingerprint, ResultSets = sets };
    }
}

/// <summary>One result set: column names and types, and the rows' raw values (null for DBNull).</summary>
internal sealed class CachedResultSet(IReadOnlyList<string> columns, IReadOnlyList<string> dataTypeNames, IReadOnlyList<Type> fieldTypes)
{
    private readonly List<object?[]> _rows = [];

    /// <summary>The column names.</summary>
    public IReadOnlyList<string> Columns => columns;

    /// <summary>The provider's type name of each column.</summary>
    public IReadOnlyList<string> DataTypeNames => dataTypeNames;

    /// <summary>The CLR type of each column, as the provider reported it.</summary>
    [JsonIgnore]
    public IReadOnlyList<Type> FieldTypes => fieldTypes;

    /// <summary>The rows, each value as the provider returned it.</summary>
    public IReadOnlyList<object?[]> Rows => _rows;

    internal static CachedResultSet Describe(DbDataReader reader)
    {
        var count = reader.FieldCount;
        var columns = new string[count];
        var typeNames = new string[count];
        var types = new Type[count];
        for (var i = 0; i < count; i++)
        {
            columns[i] = reader.GetName(i);
            typeNames[i] = reader.GetDataTypeName(i);
            types[i] = reader.GetFieldType(i);
        }

        return new CachedResultSet(columns, typeNames, types);
    }

    internal void Add(DbDataReader reader)
    {
        var row = new object?[reader.FieldCount];
        for (var i = 0; i < row.Length; i++)
        {
            row[i] = reader.IsDBNull(i) ? null : reader.GetValue(i);
        }

        _rows.Add(row);
    }
}
