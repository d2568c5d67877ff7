using System.Collections;
using System.Data.Common;
using System.Globalization;

namespace Qset.Caching.Queries;

/// <summary>
/// Plays a <see cref="CachedResult"/> back to EF as the database's own reader would. Values are converted on the
/// way out as the provider's reader converts them (SQLite hands back 64-bit integers that EF reads as
/// <c>GetInt32</c>; dates, GUIDs and decimals come back as text).
/// </summary>
internal sealed class CachedResultReader(CachedResult result) : DbDataReader
{
    private int _set;
    private int _row = -1;
    private bool _closed;

    private CachedResultSet Set => result.ResultSets[_set];

    private object?[] Row => _row >= 0 && _row < Set.Rows.Count
        ? Set.Rows[_row]
        : throw new InvalidOperationException("No current row: call Read first.");

    /// <inheritdoc />
    public override int FieldCount => Set.Columns.Count;

    /// <inheritdoc />
    public override bool HasRows => Set.Rows.Count > 0;

    /// <inheritdoc />
    public override bool IsClosed => _closed;

    /// <inheritdoc />
    public override int RecordsAffected => -1;

    /// <inheritdoc />
    public override int Depth => 0;

    /// <inheritdoc />
    public override object this[int ordinal] => GetValue(ordinal);

    /// <inheritdoc />
    public override object this[string name] => GetValue(GetOrdinal(name));

    /// <inheritdoc />
    public override bool Read() => ++_row < Set.Rows.Count;

    /// <inheritdoc />
    public override Task<bool> ReadAsync(CancellationToken cancellationToken) => Task.FromResult(Read());

    /// <inheritdoc />
    public override bool NextResult()
    {
        if (_set + 1 >= result.ResultSets.Count)
        {
            return false;
        }

        _set++;
        _row = -1;
        return true;
    }

    /// <inheritdoc />
    public override Task<bool> NextResultAsync(CancellationToken cancellationToken) => Task.FromResult(NextResult());

    /// <inheritdoc />
    public override void Close() => _closed = true;

    /// <inheritdoc />
    public override string GetName(int ordinal) => Set.Columns[ordinal];

    /// <inheritdoc />
    public override int GetOrdinal(string name)
    {
        for (var i = 0; i < Set.Columns.Count; i++)
        {
            if (string.Equals(Set.Columns[i], name, StringComparison.OrdinalIgnoreCase))
            {
                return i;
            }
        }

        throw new IndexOutOfRangeException($"No column named '{name}'.");
    }

    /// <inheritdoc />
    public override string GetDataTypeName(int ordinal) => Set.DataTypeNames[ordinal];

    /// <inheritdoc />
    public override Type GetFieldType(int ordinal) => Set.FieldTypes[ordinal];

    /// <inheritdoc />
    public override bool IsDBNull(int ordinal) => Row[ordinal] is null;

    /// <inheritdoc />
    public override object GetValue(int ordinal) => Row[ordinal] ?? DBNull.Value;

    /// <inheritdoc />
    public override int GetValues(object[] values)
    {
        ArgumentNullException.ThrowIfNull(values);
        var count = Math.Min(values.Length, FieldCount);
        for (var i = 0; i < count; i++)
        {
            values[i] = GetValue(i);
        }

        return count;
    }

    /// <inheritdoc />
    public override T GetFieldValue<T>(int ordinal) => (T)Convert(Row[ordinal], typeof(T));

    /// <inheritdoc />
    public override bool GetBoolean(int ordinal) => GetFieldValue<bool>(ordinal);

    /// <inheritdoc />
    public override byte GetByte(int ordinal) => GetFieldValue<byte>(ordinal);

    /// <inheritdoc />
    public override char GetChar(int ordinal) => GetFieldValue<char>(ordinal);

    /// <inheritdoc />
    public override DateTime GetDateTime(int ordinal) => GetFieldValue<DateTime>(ordinal);

    /// <inheritdoc />
    public override decimal GetDecimal(int ordinal) => GetFieldValue<decimal>(ordinal);

    /// <inheritdoc />
    public override double GetDouble(int ordinal) => GetFieldValue<double>(ordinal);

    /// <inheritdoc />
    public override float GetFloat(int ordinal) => GetFieldValue<float>(ordinal);

    /// <inheritdoc />
    public override Guid GetGuid(int ordinal) => GetFieldValue<Guid>(ordinal);

    /// <inheritdoc />
    public override short GetInt16(int ordinal) => GetFieldValue<short>(ordinal);

    /// <inheritdoc />
    public override int GetInt32(int ordinal) => GetFieldValue<int>(ordinal);

    /// <inheritdoc />
    public override long GetInt64(int ordinal) => GetFieldValue<long>(ordinal);

    /// <inheritdoc />
    public override string GetString(int ordinal) => GetFieldValue<string>(ordinal);

    /// <inheritdoc />
    public override long GetBytes(int ordinal, long dataOffset, byte[]? buffer, int bufferOffset, int length) =>
        Copy(GetFieldValue<byte[]>(ordinal), dataOffset, buffer, bufferOffset, length);

    /// <inheritdoc />
    public override long GetChars(int ordinal, long dataOffset, char[]? buffer, int bufferOffset, int length) =>
        Copy(GetString(ordinal).ToCharArray(), dataOffset, buffer, bufferOffset, length);

    /// <inheritdoc />
    public override IEnumerator GetEnumerator() => new DbEnumerator(this);

    private static long Copy<TItem>(TItem[] source, long dataOffset, TItem[]? buffer, int bufferOffset, int length)
    {
        if (buffer is null)
        {
            return source.Length;
        }

        var count = (int)Math.Max(0, Math.Min(length, source.Length - dataOffset));
        Array.Copy(source, dataOffset, buffer, bufferOffset, count);
        return count;
    }

    private static object Convert(object? value, Type type)
    {
        if (value is null)
        {
            return Nullable.GetUnderlyingType(type) is not null || !type.IsValueType
                ? null!
                : throw new InvalidCastException("The value is NULL; check IsDBNull before reading it.");
        }

        var target = Nullable.GetUnderlyingType(type) ?? type;
        if (target.IsInstanceOfType(value))
        {
            return value;
        }

        var culture = CultureInfo.InvariantCulture;
        return target switch
        {
            _ when target == typeof(Guid) => value is byte[] bytes ? new Guid(bytes) : Guid.Parse((string)value, culture),
            _ when target == typeof(DateTimeOffset) => DateTimeOffset.Parse((string)value, culture, DateTimeStyles.RoundtripKind),
            _ when target == typeof(DateTime) => DateTime.Parse((string)value, culture, DateTimeStyles.RoundtripKind),
            _ when target == typeof(TimeSpan) => TimeSpan.Parse((string)value, culture),
            _ when target == typeof(DateOnly) => DateOnly.Parse((string)value, culture),
            _ when target == typeof(TimeOnly) => TimeOnly.Parse((string)value, culture),
            _ when target == typeof(decimal) => value is string text ? decimal.Parse(text, NumberStyles.Float, culture) : System.Convert.ToDecimal(value, culture),
            _ when target == typeof(char) && value is string text => text[0],
            _ when target.IsEnum => Enum.ToObject(target, value),
            _ => System.Convert.ChangeType(value, target, culture),
        };
    }
}
