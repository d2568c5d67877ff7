using Microsoft.Extensions.Options;
using Qset.Caching.Queries;
using StackExchange.Redis;

namespace Qset.Caching.Redis;

/// <summary>
/// Values in Redis, shared by every node. TTL is set on write; the guarded populate is one Lua script that compares
/// the key's generation with the one the read began at; listing walks the index of live keys (ZSCAN). When the server has
/// keyspace notifications on, Redis's own expiries and evictions arrive as EXPIRE and EVICT. Every Redis failure is
/// survived: a read becomes a miss, a populate is skipped, an invalidation is kept for replay.
/// </summary>
internal sealed partial class RedisCacheStore : ICacheStore, ICacheBrowser, IReportsHealth, ISharedTableGenerations
{
    private readonly RedisConnection _connection;
    private readonly CacheRecorder _recorder;
    private readonly TimeProvider _timeProvider;
    private readonly CacheTypes _types;
    private readonly CacheOptions _options;
    private int _lastCount;
    private int _notificationsWired;

    /// <summary>Creates the store over the app's Redis connection.</summary>
    public RedisCacheStore(RedisConnection connection, IOptions<CacheOptions> options, CacheRecorder recorder, CacheTypes types, TimeProvider timeProvider)
    {
        _connection = connection;
        _types = types;
        _recorder = recorder;
        _timeProvider = timeProvider;
        _options = options.Value;
        _connection.Restored += (_, _) => _ = WireKeyspaceNotificationsAsync();
        _ = WireKeyspaceNotificationsAsync();
    }

    /// <inheritdoc />
    public string Name => "Redis";

    /// <inheritdoc />
    public int Capacity => _options.Capacity;

    /// <inheritdoc />
    /// <remarks>As of the latest <see cref="CountAsync"/>: a property must not call Redis.</remarks>
    public int Count => Volatile.Read(ref _lastCount);

    /// <summary>How many index members each count checks for an entry Redis evicted under <c>maxmemory</c>.</summary>
    internal const int EvictionSample = 20;

    /// <inheritdoc />
    public bool IsDegraded => _connection.IsDegraded;

    /// <inheritdoc />
    public string HealthDescription => _connection.Misconfiguration is { } misconfiguration
        ? $"{misconfiguration}. Reads go to the database, nothing is cached."
        : IsDegraded
            ? "Redis is not answering: reads go to the database, nothing is cached."
            : $"Redis answers; prefix '{_connection.Prefix}'.";

    /// <inheritdoc />
    public ValueTask<CacheEntry?> GetAsync(string key, CancellationToken cancellationToken = default) =>
        IsQueryKey(key)
            ? default
            : FailOpenAsync<CacheEntry?>(async database =>
            {
                // The value and the flush epoch in one round trip: a value from before the latest flush is a miss.
                var read = await database.StringGetAsync([_connection.EntryKey(key), _connection.EpochKey]).ConfigureAwait(false);
                return (byte[]?)read[0] is { } payload ? await DecodeOrDropAsync(database, key, payload, Generation(read[1])).ConfigureAwait(false) : null;
            }, whenDown: null);

    /// <inheritdoc />
    /// <remarks>The value, the flush epoch, the key's generation and its table's bulk-write generation in one MGET.</remarks>
    public ValueTask<(CacheEntry? Entry, PopulateTicket? Ticket)> GetForPopulateAsync(string key, CancellationToken cancellationToken = default) =>
        IsQueryKey(key)
            ? new((null, new PopulateTicket(key, -1)))
            : FailOpenAsync<(CacheEntry?, PopulateTicket?)>(async database =>
            {
                var read = await database.StringGetAsync(
                    [_connection.EntryKey(key), _connection.EpochKey, _connection.GenerationKey(key), _connection.BulkGenerationKey(key)]).ConfigureAwait(false);
                var epoch = Generation(read[1]);
                var ticket = new PopulateTicket(key, Generation(read[2])) { Epoch = epoch, TableGeneration = Generation(read[3]) };
                var entry = (byte[]?)read[0] is { } payload ? await DecodeOrDropAsync(database, key, payload, epoch).ConfigureAwait(false) : null;
                return (entry, ticket);
            }, whenDown: (null, new PopulateTicket(key, -1)));

    /// <inheritdoc />
    public ValueTask<PopulateTicket> BeginPopulateAsync(string key, CancellationToken cancellationToken = default) =>
        FailOpenAsync(async database =>
        {
            // A key's table's bulk-write generation; a bare key (no table in it) has every bulk write's, so a bulk write
            // of any table refuses its populate: which table a bare key's value comes from is not known until it is read.
            var values = await database.StringGetAsync([_connection.GenerationKey(key), _connection.EpochKey, _connection.BulkGenerationKey(key)]).ConfigureAwait(false);
            return new PopulateTicket(key, Generation(values[0]))
            {
                Epoch = Generation(values[1]),
                TableGeneration = Generation(values[2]),
            };
        }, whenDown: new PopulateTicket(key, -1));

    /// <inheritdoc />
    public ValueTask<PopulateResult> TryPopulateAsync(CacheEntry entry, PopulateTicket ticket, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(entry);
        if (IsQueryKey(entry.Key))
        {
            return new(PopulateResult.Rejected(
                "the Redis backend does not hold query results (they depend on per-node table versions): use Hybrid, whose L1 holds them"));
        }

        var unavailable = PopulateResult.Rejected("Redis unavailable: read from the database, not cached");
        var ttl = entry.AbsoluteExpiration - _timeProvider.GetUtcNow();
        if (ticket.Stamp < 0)
        {
            return new(unavailable);
        }

        if (ticket.Stamp == NotANumber || ticket.Epoch == NotANumber || ticket.TableGeneration == NotANumber)
        {
            return new(PopulateResult.Rejected(
                "a counter of this key in Redis (its generation, the flush epoch or its table's) holds text another program wrote: read from the database, not cached until the next write makes it a number again"));
        }

        if (ttl <= TimeSpan.Zero)
        {
            return new(PopulateResult.Rejected("the entry's TTL ran out before it could be stored"));
        }

        // Written before Redis is asked: a value JSON cannot express is refused here, and its readers get it from the
        // database, uncached, instead of an exception.
        byte[] envelope;
        int valueBytes;
        try
        {
            envelope = RedisEnvelope.Encode(entry, _types, Math.Max(ticket.Epoch, 0), out valueBytes);
        }
        catch (Exception ex) when (ex is NotSupportedException or System.Text.Json.JsonException or InvalidOperationException)
        {
            return new(PopulateResult.Rejected($"the value cannot be written to Redis as JSON ({ex.GetType().Name}: {ex.Message}): read from the database, not cached"));
        }

        entry.SetMeasuredSize(valueBytes);
        return FailOpenAsync(async database =>
        {
            var guarded = _options.GuardPopulate;
            RedisKey[] keys = ticket.TableGeneration < 0
                ? [_connection.EntryKey(entry.Key), _connection.GenerationKey(entry.Key), _connection.EpochKey]
                : [_connection.EntryKey(entry.Key), _connection.GenerationKey(entry.Key), _connection.EpochKey, _connection.BulkGenerationKey(entry.Key)];
            RedisResult[] result;
            try
            {
                result = (RedisResult[])(await database.ScriptEvaluateAsync(
                    RedisScripts.Populate,
                    keys,
                    [ticket.Stamp, envelope, (long)Math.Ceiling(ttl.TotalMilliseconds), guarded ? 1 : 0, Math.Max(ticket.Epoch, 0), ticket.TableGeneration, entry.Key, entry.EntityType, valueBytes, _connection.IndexPrefix]).ConfigureAwait(false))!;
            }
            catch (RedisServerException ex) when (IsOutOfMemory(ex))
            {
                // Redis answers, and refused the script's first write whole (a script that has written is never
                // refused a later write): nothing was stored, nothing is stale, so this is no outage to recover from.
                return PopulateResult.Rejected(
                    "Redis is full (maxmemory reached, and its policy evicts nothing it could): read from the database, not cached");
            }

            if ((long)result[0] == 1)
            {
                return PopulateResult.StoredOver(null);
            }

            var (seenKey, seenTable, seenEpoch) = ((string?)result[1], (string?)result[2], (string?)result[3]);
            return seenEpoch != Text(Math.Max(ticket.Epoch, 0))
                ? PopulateResult.Rejected($"the cache was flushed (epoch {seenEpoch}) after this read began (epoch {ticket.Epoch}): the value may be stale")
                : seenKey != Text(ticket.Stamp)
                    ? PopulateResult.Rejected($"key invalidated (generation {seenKey}) after this read began (generation {ticket.Stamp}): the value may be stale")
                    : RedisConnection.TableOf(entry.Key) is { } table
                        ? PopulateResult.Rejected($"a bulk write to {table} (generation {seenTable}) committed after this read began (generation {ticket.TableGeneration}): the value may be stale")
                        : PopulateResult.Rejected($"a bulk write committed (of any table: generation {seenTable}) after this read of a key that names no table began (generation {ticket.TableGeneration}): the value may be stale");
        }, whenDown: unavailable);
    }

    /// <inheritdoc />
    /// <remarks>Nodes over Redis alone keep no L1 for a table version to guard: nothing to tell.</remarks>
    public void AnnounceTableWrite(string table, bool bulk)
    {
    }

    /// <inheritdoc />
    public async ValueTask BumpBulkWriteAsync(string table, CancellationToken cancellationToken = default) =>
        await InvalidateOrDeferAsync(
            async database => (long)await database.ScriptEvaluateAsync(RedisScripts.Bump, [_connection.TableKey(table), _connection.AnyBulkWriteKey]).ConfigureAwait(false),
            whenDown: 0L,
            defer: _connection.DeferAll).ConfigureAwait(false);

    /// <inheritdoc />
    /// <remarks>
    /// Deferred while Redis cannot be reached, it answers true: whether Redis held the key is unknown, and a value it
    /// holds is dropped when Redis returns (an event saying "nothing was cached" would claim what no one knows).
    /// </remarks>
    public ValueTask<bool> InvalidateAsync(string key, CancellationToken cancellationToken = default) =>
        InvalidateOrDeferAsync(database => _connection.InvalidateAsync(database, key), whenDown: true, defer: () => _connection.Defer(key));

    /// <inheritdoc />
    /// <remarks>
    /// One script call whatever the cache holds: a new flush epoch, after which no value stored before is served and no
    /// populate begun before is stored, on any node. Up to <see cref="CacheRecorder.OneByOne"/> live entries are
    /// dropped at once and named; past that the flush counts them, and the old epoch's keys are reclaimed in the
    /// background a thousand per call. A flush that cannot reach Redis is done by the recovery (a new epoch too).
    /// </remarks>
    public ValueTask<CacheClear> ClearAsync(CancellationToken cancellationToken = default)
    {
        List<RemovedEntry> removed = [];
        return InvalidateOrDeferAsync(async database =>
        {
            var live = await _connection.NewEpochAsync(database, CacheRecorder.OneByOne, removed).ConfigureAwait(false);
            Volatile.Write(ref _lastCount, 0);
            return live <= CacheRecorder.OneByOne ? new CacheClear(removed.Count, removed) : new CacheClear((int)Math.Min(live, int.MaxValue), []);
        }, whenDown: new CacheClear(0, removed), defer: _connection.DeferAll);
    }

    /// <inheritdoc />
    /// <remarks>
    /// The live members of the type's index, which every populate adds its key to (scored by its expiry) and every
    /// invalidation removes it from: what a bulk write touches, without a SCAN of the keyspace. Keys past their expiry
    /// are dropped from the index first, so an expired key is never named.
    /// </remarks>
    public ValueTask<IReadOnlyList<string>> KeysOfTypeAsync(string entityType, CancellationToken cancellationToken = default) =>
        FailOpenAsync<IReadOnlyList<string>>(async database =>
        {
            var members = (RedisResult[])(await database.ScriptEvaluateAsync(RedisScripts.LiveMembers, [_connection.EpochKey], [_connection.IndexPrefix, entityType]).ConfigureAwait(false))!;
            return [.. members.Select(m => (string)m!)];
        }, whenDown: []);

    /// <inheritdoc />
    /// <remarks>
    /// From the type's index, a thousand keys per script call (one call per key, as a listing then an invalidation of
    /// each, took 50 s at a million keys). Redis unreachable part way: what went is returned, and every entry under the
    /// prefix is dropped by the recovery (which keys the rest were, this node cannot tell).
    /// </remarks>
    public ValueTask<IReadOnlyList<string>> InvalidateTypeAsync(string entityType, CancellationToken cancellationToken = default)
    {
        List<string> dropped = [];
        return InvalidateOrDeferAsync<IReadOnlyList<string>>(async database =>
        {
            await _connection.InvalidateTypeAsync(database, entityType, dropped).ConfigureAwait(false);
            return dropped;
        }, whenDown: dropped, defer: _connection.DeferAll);
    }

    /// <summary>
    /// Runs <paramref name="action"/> against Redis; while Redis is down or failing, answers <paramref name="whenDown"/>
    /// instead (and runs <paramref name="onDown"/>), having recorded the outage. No caller ever sees a Redis failure.
    /// </summary>
    private ValueTask<T> RunOrFallBackAsync<T>(IDatabase? database, Func<IDatabase, Task<T>> action, T whenDown, Action? onDown)
    {
        return database is null ? Down() : RunAsync(database);

        async ValueTask<T> RunAsync(IDatabase db)
        {
            try
            {
                return await action(db).ConfigureAwait(false);
            }
            catch (Exception ex) when (RedisConnection.IsOutage(ex))
            {
                // Deferred first: the deferral itself keeps the connection degraded until it is replayed.
                onDown?.Invoke();
                _connection.ReportFailure(ex);
                return whenDown;
            }
        }

        ValueTask<T> Down()
        {
            onDown?.Invoke();
            return new(whenDown);
        }
    }

    /// <summary>A read or a populate: runs only while Redis is connected and recovered (<see cref="RedisConnection.Database"/>).</summary>
    private ValueTask<T> FailOpenAsync<T>(Func<IDatabase, Task<T>> action, T whenDown) =>
        RunOrFallBackAsync(_connection.Database, action, whenDown, onDown: null);

    /// <summary>
    /// An invalidation: sent whenever Redis is connected, even before a recovery has finished; when it cannot be sent,
    /// <paramref name="defer"/> keeps it for the replay, and reads stay off Redis until then.
    /// </summary>
    private ValueTask<T> InvalidateOrDeferAsync<T>(Func<IDatabase, Task<T>> action, T whenDown, Action defer) =>
        RunOrFallBackAsync(_connection.InvalidationDatabase, action, whenDown, defer);

    /// <summary>
    /// The entry in <paramref name="payload"/> when it was stored in flush <paramref name="epoch"/> (the current one);
    /// one from before the latest flush or recovery reads as a miss, left for the reclaim (deleting it here could delete
    /// a value populated since). A corrupt or foreign value is deleted, reported, and read as a miss; one of an entity type
    /// this node has not registered yet is a miss, and left.
    /// </summary>
    private async Task<CacheEntry?> DecodeOrDropAsync(IDatabase database, string key, byte[] payload, long epoch)
    {
        if (RedisEnvelope.TryDecode(key, payload, _types, _timeProvider, out var entry, out var error, out var stored))
        {
            return stored == epoch ? entry : null;
        }

        if (error?.StartsWith(CacheTypes.UnknownTypeError, StringComparison.Ordinal) == true)
        {
            // Another node's value of a type this node has not met yet (its context's model not built yet, or another
            // app's model on the same prefix): a miss here, and left for the nodes that can read it.
            return null;
        }

        await database.KeyDeleteAsync(_connection.EntryKey(key)).ConfigureAwait(false);
        _recorder.Record(CacheEventKind.Error, key, null, detail: $"corrupt or foreign value removed ({error})", source: "redis");
        return null;
    }

    /// <summary>
    /// The entry in <paramref name="payload"/> when there is one, it reads, and it was stored in flush
    /// <paramref name="epoch"/>; otherwise null, with no side effect (for listings and peeks).
    /// </summary>
    private CacheEntry? Current(string key, RedisValue payload, long epoch) =>
        (byte[]?)payload is { } bytes && RedisEnvelope.TryDecode(key, bytes, _types, _timeProvider, out var entry, out _, out var stored) && stored == epoch
            ? entry
            : null;

    /// <summary>Redis refused a write for want of memory (<c>maxmemory</c> with a policy that found nothing to evict).</summary>
    /// <remarks>Redis 7 answers "OOM command not allowed …"; 6.2 wraps the same words in its script error.</remarks>
    private static bool IsOutOfMemory(RedisServerException exception) =>
        exception.Message.Contains("OOM command not allowed", StringComparison.Ordinal);

    /// <summary>A counter read before a populate: 0 when absent, <see cref="NotANumber"/> when another program wrote text there.</summary>
    private static long Generation(RedisValue value) => value.IsNull ? 0 : value.TryParse(out long number) ? number : NotANumber;

    /// <summary>What a counter holding text reads as: no populate begun then is stored (the next bump makes it a number).</summary>
    private const long NotANumber = long.MaxValue;

    private static string Text(long value) => value.ToString(System.Globalization.CultureInfo.InvariantCulture);

    private static bool IsQueryKey(string key) => key.StartsWith(QueryKeys.Prefix, StringComparison.Ordinal);
}
