namespace Qset.Caching;

/// <summary>
/// The ambient source of cache operations (which demo, page or endpoint asked), and an optional capture of the
/// events they raise. It flows with the async call like <see cref="System.Diagnostics.Activity"/> does, so the
/// three caching styles keep the seed's small signatures.
/// </summary>
public static class CacheContext
{
    /// <summary>The source recorded when nobody set one.</summary>
    public const string DefaultSource = "app";

    private static readonly AsyncLocal<Scope?> s_current = new();

    // How many scopes are open now, anywhere: while none is, a hit need not read the async-local.
    private static int s_open;

    /// <summary>The source of the operations running now.</summary>
    public static string Source => s_current.Value?.Source ?? DefaultSource;

    /// <summary>True inside <see cref="WithoutPopulateGuard"/>.</summary>
    public static bool PopulateGuardOff => s_current.Value?.GuardOff ?? false;

    /// <summary>
    /// Turns the populate guard off for the reads started in the returned scope, and only for them: the race lab
    /// uses it to show the stale value the guard otherwise refuses. Never use it in application code.
    /// </summary>
    public static IDisposable WithoutPopulateGuard()
    {
        var parent = s_current.Value;
        var scope = new Scope(parent?.Source ?? DefaultSource, parent?.Captured, parent) { GuardOff = true };
        Interlocked.Increment(ref s_open);
        s_current.Value = scope;
        return scope;
    }

    /// <summary>Marks the operations in the returned scope as coming from <paramref name="source"/>.</summary>
    public static IDisposable Use(string source) => Begin(source, capture: null);

    /// <summary>As <see cref="Use(string)"/>, and also collects every event they raise into <paramref name="capture"/>.</summary>
    public static IDisposable Capture(string source, List<CacheEvent> capture) => Begin(source, capture);

    /// <summary>The source and capture of the operations running now, from one read of the async-local.</summary>
    internal static string Current(out List<CacheEvent>? capture)
    {
        var scope = s_current.Value;
        capture = scope?.Captured;
        return scope?.Source ?? DefaultSource;
    }

    /// <summary>
    /// <see cref="Current"/> for the hit path: while no scope is open anywhere (an app that never names its sources),
    /// the default, without reading the async-local (a tenth of a hit). A flow that outlives the scope it was started
    /// in (a task not awaited before the scope ended) may then record its hits under the default source while its other
    /// events keep the scope's: await what a scope starts, or open the scope in the flow itself.
    /// </summary>
    internal static string CurrentForHit(out List<CacheEvent>? capture)
    {
        if (Volatile.Read(ref s_open) == 0)
        {
            capture = null;
            return DefaultSource;
        }

        return Current(out capture);
    }

    /// <summary>Hands an event to the ambient capture, if any (a demo step forwarding events raised elsewhere).</summary>
    public static void Observe(in CacheEvent cacheEvent)
    {
        if (s_current.Value?.Captured is { } capture)
        {
            Observe(capture, cacheEvent);
        }
    }

    internal static void Observe(List<CacheEvent> capture, in CacheEvent cacheEvent)
    {
        lock (capture)
        {
            capture.Add(cacheEvent);
        }
    }

    private static Scope Begin(string source, List<CacheEvent>? capture)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(source);
        var scope = new Scope(source, capture, s_current.Value);
        Interlocked.Increment(ref s_open);
        s_current.Value = scope;
        return scope;
    }

    private sealed class Scope(string source, List<CacheEvent>? captured, Scope? parent) : IDisposable
    {
        private int _disposed;

        public string Source { get; } = source;

        public List<CacheEvent>? Captured { get; } = captured;

        public bool GuardOff { get; init; } = parent?.GuardOff ?? false;

        public void Dispose()
        {
            s_current.Value = parent;
            if (Interlocked.Exchange(ref _disposed, 1) == 0)
            {
                Interlocked.Decrement(ref s_open);
            }
        }
    }
}
