using System.Buffers;
using System.Text;
using System.Text.Json;

namespace Qset.Caching.Redis;

/// <summary>
/// How an entry is written to Redis: <c>{"qset":2,"f":epoch,"t":"User","c":created,"a":expires,"v":{...}}</c> (with
/// <c>"s":reason</c> for a value fail-safe serves past its TTL). The
/// marker and the type let a reader tell our values from a foreign or corrupt one, which is dropped and reported, never
/// thrown. The flush epoch it was stored in (<c>f</c>) lets a reader tell a value from before the latest flush or
/// recovery, which is a miss: a flush is then one increment, not a walk of every key.
/// </summary>
internal static class RedisEnvelope
{
    // 2 names its flush epoch; 1 (a version before epochs) reads as a value of no epoch, a miss. A version that knows
    // only 1 finds a 2 foreign: it removes it and reads the database, and never serves a value a flush since made stale.
    private const int Version = 2;
    private const int VersionBeforeEpochs = 1;

    /// <summary>
    /// The envelope of <paramref name="entry"/>, stored in flush <paramref name="epoch"/>; <paramref name="valueBytes"/>
    /// is the size of its value's JSON in it.
    /// </summary>
    public static byte[] Encode(CacheEntry entry, CacheTypes types, long epoch, out int valueBytes)
    {
        long valueStart;
        var buffer = new ArrayBufferWriter<byte>(256);
        using (var writer = new Utf8JsonWriter(buffer))
        {
            writer.WriteStartObject();
            writer.WriteNumber("qset", Version);
            writer.WriteNumber("f", epoch);
            writer.WriteString("t", entry.EntityType);

            // A derived entity (a Dog under the key of its root, Pet) names its own type, so it reads back as what it is.
            var concrete = entry.Value.GetType();
            if ((!types.TryGet(entry.EntityType, out var declared) || declared != concrete) && types.TryGetName(concrete, out var own))
            {
                writer.WriteString("k", own);
            }

            writer.WriteString("c", entry.CreatedAt);
            writer.WriteString("a", entry.AbsoluteExpiration);
            if (entry.FailSafe is { } failSafe)
            {
                // Served by fail-safe: every node's hit of it says so.
                writer.WriteString("s", failSafe);
            }

            writer.WritePropertyName("v");
            valueStart = writer.BytesCommitted + writer.BytesPending;

            // Straight from the value (a value JSON cannot express throws, and the populate fails open as an ERROR).
            JsonSerializer.Serialize(writer, entry.Value, entry.Value.GetType(), CacheJson.Options);
            valueBytes = (int)(writer.BytesCommitted + writer.BytesPending - valueStart);
            writer.WriteEndObject();
        }

        return buffer.WrittenSpan.ToArray();
    }

    /// <summary>
    /// Reads an envelope: false, with why, when it is not one of ours or its value does not read as its type;
    /// <paramref name="epoch"/> is the flush epoch it was stored in (-1 when it names none: written before epochs were).
    /// </summary>
    public static bool TryDecode(string key, byte[] payload, CacheTypes types, TimeProvider timeProvider, out CacheEntry? entry, out string? error, out long epoch)
    {
        entry = null;
        epoch = -1;
        try
        {
            using var document = JsonDocument.Parse(payload);
            var root = document.RootElement;
            if (root.ValueKind != JsonValueKind.Object
                || !root.TryGetProperty("qset", out var version) || version.ValueKind != JsonValueKind.Number
                || !version.TryGetInt32(out var written) || written is not (Version or VersionBeforeEpochs)
                || !root.TryGetProperty("t", out var type) || type.ValueKind != JsonValueKind.String
                || !root.TryGetProperty("c", out var created) || !created.TryGetDateTimeOffset(out var createdAt)
                || !root.TryGetProperty("a", out var absolute) || !absolute.TryGetDateTimeOffset(out var expiresAt)
                || !root.TryGetProperty("v", out var value))
            {
                error = "not a Qset cache value";
                return false;
            }

            if (root.TryGetProperty("f", out var flushed) && flushed.ValueKind == JsonValueKind.Number && flushed.TryGetInt64(out var stored))
            {
                epoch = stored;
            }

            var entityType = type.GetString()!;
            var valueType = root.TryGetProperty("k", out var kind) && kind.ValueKind == JsonValueKind.String ? kind.GetString()! : entityType;
            if (!types.TryDeserialize(valueType, value, out var instance, out error))
            {
                return false;
            }

            entry = new CacheEntry(key, entityType, instance, createdAt, timeProvider.GetTimestamp(), expiresAt, null)
            {
                FailSafe = root.TryGetProperty("s", out var failSafe) && failSafe.ValueKind == JsonValueKind.String ? failSafe.GetString() : null,
            };

            // The value's JSON as stored: its size is known without writing it again.
            entry.SetMeasuredSize(System.Runtime.InteropServices.JsonMarshal.GetRawUtf8Value(value).Length);
            return true;
        }
        catch (JsonException ex)
        {
            error = $"not JSON: {ex.Message}";
            return false;
        }
        catch (FormatException ex)
        {
            error = $"malformed: {ex.Message}";
            return false;
        }
        catch (InvalidOperationException ex)
        {
            error = $"malformed: {ex.Message}";
            return false;
        }
    }

    public static string Describe(byte[] payload) => Encoding.UTF8.GetString(payload.AsSpan(0, Math.Min(payload.Length, 64)));
}
