namespace Qset.Caching;

/// <summary>One cached value with what the dashboard shows of it.</summary>
public sealed class CacheEntry
{
    private readonly long _createdTicks;
    private readonly long _absoluteTicks;
    // Only an entry that slides holds a window (most entries do not: a reference instead of two longs each).
    private readonly SlidingWindow? _sliding;
    private bool _visited;
    private int _sizeBytes = -1;

    /// <summary>
    /// Creates an entry; <paramref name="json"/> is the value as the dashboard and a distributed store see it, measured
    /// here and not kept: <see cref="Json"/> writes it again when asked, so a million entries do not hold a million strings.
    /// </summary>
    public CacheEntry(
        string key,
        string entityType,
        object value,
        string json,
        DateTimeOffset createdAt,
        long createdTimestamp,
        DateTimeOffset absoluteExpiration,
        TimeSpan? slidingExpiration)
        : this(key, entityType, value, createdAt, createdTimestamp, absoluteExpiration, slidingExpiration)
    {
        ArgumentNullException.ThrowIfNull(json);
        _sizeBytes = System.Text.Encoding.UTF8.GetByteCount(json);
    }

    /// <summary>Creates an entry whose JSON is written, and measured, only when first asked for (the engine's populate).</summary>
    internal CacheEntry(
        string key,
        string entityType,
        object value,
        DateTimeOffset createdAt,
        long createdTimestamp,
        DateTimeOffset absoluteExpiration,
        TimeSpan? slidingExpiration)
    {
        Key = key;
        EntityType = entityType;
        Value = value;
        // Instants as UTC ticks (8 bytes each, not a DateTimeOffset's 16): a million entries hold them all.
        _createdTicks = createdAt.UtcTicks;
        CreatedTimestamp = createdTimestamp;
        _absoluteTicks = absoluteExpiration.UtcTicks;
        _sliding = slidingExpiration is { } sliding ? new SlidingWindow(Math.Max(sliding.Ticks, 1), createdTimestamp) : null;
    }

    /// <summary>The cache key (<c>User.1</c>, or <c>1</c> in the simple style).</summary>
    public string Key { get; }

    /// <summary>The entity type of the value (<c>User</c>).</summary>
    public string EntityType { get; }

    /// <summary>The cached value. Shared by every reader: treat it as read-only.</summary>
    public object Value { get; }

    /// <summary>
    /// The value as JSON, written now (a page of the dashboard), not held by the entry; a value JSON cannot express is
    /// described instead, so a page never fails on one entry.
    /// </summary>
    public string Json
    {
        get
        {
            try
            {
                return CacheJson.Serialize(Value);
            }
#pragma warning disable CA1031 // Any exception a value's getters throw: the page shows it instead of failing.
            catch (Exception ex) when (ex is not OutOfMemoryException)
#pragma warning restore CA1031
            {
                return System.Text.Json.JsonSerializer.Serialize(new { unserializable = Value.GetType().Name, reason = ex.Message });
            }
        }
    }

    /// <summary>
    /// The size of the value's JSON without indentation, in UTF-8 bytes (what a Redis store holds of it), measured
    /// once, when first asked for; the first measure stands, so an order by size never sees it change.
    /// </summary>
    public int SizeBytes
    {
        get
        {
            var size = Volatile.Read(ref _sizeBytes);
            if (size >= 0)
            {
                return size;
            }

            try
            {
                size = CacheJson.CompactSize(Value);
            }
#pragma warning disable CA1031 // As Json: a value that cannot be written is measured by its description.
            catch (Exception ex) when (ex is not OutOfMemoryException)
#pragma warning restore CA1031
            {
                size = System.Text.Encoding.UTF8.GetByteCount(Json);
            }

            var first = Interlocked.CompareExchange(ref _sizeBytes, size, -1);
            return first >= 0 ? first : size;
        }
    }

    /// <summary>True once <see cref="SizeBytes"/> has been measured (reading it then costs nothing).</summary>
    internal bool SizeMeasured => Volatile.Read(ref _sizeBytes) >= 0;

    /// <summary>Records a size measured elsewhere (the bytes of the value in a Redis envelope), so it is not written again.</summary>
    internal void SetMeasuredSize(int sizeBytes) => Volatile.Write(ref _sizeBytes, sizeBytes);

    /// <summary>An entry that only marks a place in an order (a listing's cursor): no key, no value.</summary>
    internal static CacheEntry Probe(DateTimeOffset absoluteExpiration, int sizeBytes, long linkSequence)
    {
        var probe = new CacheEntry(string.Empty, string.Empty, string.Empty, absoluteExpiration, 0, absoluteExpiration, null)
        {
            LinkSequence = linkSequence,
        };
        probe.SetMeasuredSize(sizeBytes);
        return probe;
    }

    /// <summary>When the entry was populated.</summary>
    public DateTimeOffset CreatedAt => new(_createdTicks, TimeSpan.Zero);

    /// <summary>The <see cref="TimeProvider.GetTimestamp"/> reading at population.</summary>
    public long CreatedTimestamp { get; }

    /// <summary>When the entry expires whatever its use.</summary>
    public DateTimeOffset AbsoluteExpiration => new(_absoluteTicks, TimeSpan.Zero);

    /// <summary><see cref="AbsoluteExpiration"/> in UTC ticks, for comparing without building a <see cref="DateTimeOffset"/>.</summary>
    internal long AbsoluteExpirationTicks => _absoluteTicks;

    /// <summary>When set, the entry also expires after going unread this long.</summary>
    public TimeSpan? SlidingExpiration => _sliding is { } sliding ? new TimeSpan(sliding.Ticks) : null;

    /// <summary>True when the entry also expires after going unread for <see cref="SlidingExpiration"/>.</summary>
    internal bool Slides => _sliding is not null;

    /// <summary>
    /// The <see cref="TimeProvider.GetTimestamp"/> reading of the latest read of a sliding entry (of any other
    /// entry, its population), from which <see cref="ExpiresAt"/> is computed.
    /// </summary>
    public long LastAccessTimestamp => _sliding is { } sliding ? Volatile.Read(ref sliding.LastAccess) : CreatedTimestamp;

    /// <summary>
    /// Why this entry holds a value past its TTL (fail-safe: the database read that would have replaced it failed, and no
    /// write had invalidated it); null for every entry a database read just populated. A hit of it is a <c>STALE</c>.
    /// </summary>
    internal string? FailSafe { get; init; }

    /// <summary>The table versions the value's database read began at; a hit is stale once one moved on.</summary>
    internal IReadOnlyList<TableStamp> Stamps
    {
        get => StampArray;
        init => StampArray = value as TableStamp[] ?? [.. value ?? []];
    }

    /// <summary><see cref="Stamps"/> as the array it is held in (a hit checks it without a cast).</summary>
    internal TableStamp[] StampArray { get; private init; } = [];

    /// <summary>
    /// Read since the eviction hand last passed it (SIEVE's visited bit). A hit sets it only when it is clear, so a
    /// hot entry's cache line is written once per pass of the hand, not once per hit, and nothing shared is written.
    /// </summary>
    internal bool Visited
    {
        get => Volatile.Read(ref _visited);
        set => Volatile.Write(ref _visited, value);
    }

    /// <summary>Marks the entry read; a plain store, and none at all when it is already marked.</summary>
    internal void MarkVisited()
    {
        if (!_visited)
        {
            _visited = true;
        }
    }

    /// <summary>The next newer entry in the memory store's insertion order (null at the newest).</summary>
    internal CacheEntry? Newer { get; set; }

    /// <summary>The next older entry in the memory store's insertion order (null at the oldest).</summary>
    internal CacheEntry? Older { get; set; }

    /// <summary>True while the entry is in the memory store's eviction order.</summary>
    internal bool Linked { get; set; }

    /// <summary>When the memory store linked the entry, as a sequence number: the order of its listing by age.</summary>
    internal long LinkSequence { get; set; }

    /// <summary>When the entry expires, given the time provider that timed its reads.</summary>
    public DateTimeOffset ExpiresAt(TimeProvider timeProvider)
    {
        if (_sliding is not { } sliding)
        {
            return AbsoluteExpiration;
        }

        ArgumentNullException.ThrowIfNull(timeProvider);
        var lastAccessTicks = _createdTicks + timeProvider.GetElapsedTime(CreatedTimestamp, LastAccessTimestamp).Ticks;
        return new DateTimeOffset(Math.Min(lastAccessTicks + sliding.Ticks, _absoluteTicks), TimeSpan.Zero);
    }

    internal void Touch(long timestamp)
    {
        if (_sliding is { } sliding)
        {
            Volatile.Write(ref sliding.LastAccess, timestamp);
        }
    }

    /// <summary>A sliding entry's window: how long it may go unread, and when it was last read.</summary>
    private sealed class SlidingWindow(long ticks, long createdTimestamp)
    {
        public readonly long Ticks = ticks;
        public long LastAccess = createdTimestamp;
    }
}
