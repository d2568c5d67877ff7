using Microsoft.Extensions.Caching.Hybrid;

namespace Qset.Caching;

/// <summary>
/// Microsoft's <see cref="HybridCache"/> abstraction, answered by the engine and its configured backend: the populate
/// guard, one read per key (across nodes on Redis and Hybrid), fail-safe and every event, with the keys on the
/// dashboard. Values are held in a box of their own type (so a value type, or a null, is cached as HybridCache caches
/// it), named <c>hybrid:{Type}</c>. Tags are not tracked yet: <see cref="RemoveByTagAsync(string, CancellationToken)"/>
/// drops every entry, which never leaves a stale one.
/// </summary>
internal sealed class QsetHybridCache(QsetCache cache, CacheTypes types) : HybridCache
{
    private const HybridCacheEntryFlags NoCacheRead = HybridCacheEntryFlags.DisableLocalCacheRead | HybridCacheEntryFlags.DisableDistributedCacheRead;
    private const HybridCacheEntryFlags NoCacheWrite = HybridCacheEntryFlags.DisableLocalCacheWrite | HybridCacheEntryFlags.DisableDistributedCacheWrite;

    /// <inheritdoc />
    public override async ValueTask<T> GetOrCreateAsync<TState, T>(
        string key,
        TState state,
        Func<TState, CancellationToken, ValueTask<T>> factory,
        HybridCacheEntryOptions? options = null,
        IEnumerable<string>? tags = null,
        CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(key);
        ArgumentNullException.ThrowIfNull(factory);
        var flags = options?.Flags ?? HybridCacheEntryFlags.None;
        var typed = Typed<T>.Register(types);
        if ((flags & NoCacheRead) == NoCacheRead)
        {
            // Asked not to read the cache: the factory answers, and its value is stored unless writing is off too.
            var value = await factory(state, cancellationToken).ConfigureAwait(false);
            if ((flags & NoCacheWrite) != NoCacheWrite)
            {
                await cache.SetAsync(key, typed.EntityType, new Box<T>(value), options?.Expiration, "HybridCache.GetOrCreateAsync, cache read disabled", cancellationToken).ConfigureAwait(false);
            }

            return value;
        }

        var policy = typed.Policy(options?.Expiration);
        if ((flags & HybridCacheEntryFlags.DisableUnderlyingData) != 0)
        {
            // Only what the cache holds: a miss is the type's default, and the factory is never called.
            var held = await cache.GetAsync<Box<T>, object?>(key, null, static (_, _) => Task.FromResult<Box<T>?>(null), policy, cancellationToken).ConfigureAwait(false);
            return held.Value is { } found ? found.Value : default!;
        }

        var read = await cache.GetAsync(key, (state, factory), static async (s, ct) => new Box<T>(await s.factory(s.state, ct).ConfigureAwait(false)), policy, cancellationToken)
            .ConfigureAwait(false);
        return read.Value!.Value;
    }

    /// <inheritdoc />
    public override async ValueTask SetAsync<T>(string key, T value, HybridCacheEntryOptions? options = null, IEnumerable<string>? tags = null, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(key);
        if (((options?.Flags ?? HybridCacheEntryFlags.None) & NoCacheWrite) == NoCacheWrite)
        {
            return;
        }

        await cache.SetAsync(key, Typed<T>.Register(types).EntityType, new Box<T>(value), options?.Expiration, "HybridCache.SetAsync", cancellationToken).ConfigureAwait(false);
    }

    /// <inheritdoc />
    public override async ValueTask RemoveAsync(string key, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(key);
        await cache.InvalidateAsync(key, null, "HybridCache.RemoveAsync", cancellationToken).ConfigureAwait(false);
    }

    /// <inheritdoc />
    public override async ValueTask RemoveByTagAsync(string tag, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(tag);
        await cache.FlushAsync($"HybridCache.RemoveByTagAsync(\"{tag}\"): tags are not tracked yet, so every entry goes (none is left stale)", cancellationToken)
            .ConfigureAwait(false);
    }

    /// <summary>What HybridCache stores under a key: the value, boxed in a class of its own type (a struct or a null included).</summary>
    internal sealed class Box<T>(T value)
    {
        /// <summary>The value.</summary>
        public T Value { get; } = value;
    }

    /// <summary>The name and read policy of <typeparamref name="T"/>'s values, made once per type.</summary>
    private sealed class Typed<T>
    {
        private static Typed<T>? s_registered;

        private Typed(string entityType)
        {
            EntityType = entityType;
            _default = new CacheReadPolicy(entityType, []);
        }

        private readonly CacheReadPolicy _default;

        public string EntityType { get; }

        // Registered once per type store: values read back from Redis as the box they were written as.
        public static Typed<T> Register(CacheTypes types)
        {
            var typed = s_registered ??= new Typed<T>("hybrid:" + typeof(T).Name.Replace('.', '_').Replace('`', '_'));
            if (!types.TryGet(typed.EntityType, out var known) || known != typeof(Box<T>))
            {
                // Once per host: every later call is one read, not two writes.
                types.Register(typed.EntityType, typeof(Box<T>));
            }

            return typed;
        }

        public CacheReadPolicy Policy(TimeSpan? expiration) => expiration is null ? _default : _default with { Ttl = expiration };
    }
}
