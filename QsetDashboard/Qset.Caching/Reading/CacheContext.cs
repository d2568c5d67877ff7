namespace Qset.Caching;

/// <summary>
/// The ambient source of cache operations (which page or endpoint asked), and an optional capture of the events they
/// raise. It flows with the async call as <see cref="System.Diagnostics.Activity"/> does, so that a read keeps its
/// small signature.
/// </summary>
/// <remarks>
/// This is the engine's one <see cref="AsyncLocal{T}"/>. Besides the source and the capture it carries one internal
/// mark: that the database read the engine is running went through an open transaction (set by the EF command
/// interceptor, which has no other way to reach the read it runs inside), so the value is never cached.
/// </remarks>
public static class CacheContext
{
    /// <summary>The source recorded when nobody set one.</summary>
    public const string DefaultSource = "app";

    private static readonly AsyncLocal<Scope?> s_current = new();

    // How many scopes are open now, anywhere: while none is, a hit need not read the async-local.
    private static int s_open;

    /// <summary>The source of the operations running now.</summary>
    public static string Source => s_current.Value?.Source ?? DefaultSource;

    /// <summary>The REJECT detail of a value read inside a transaction.</summary>
    internal const string UncommittedReason = "read inside an open transaction: uncommitted data is never cached";

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

    /// <summary>Hands an event raised elsewhere to the ambient capture, if any.</summary>
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

    /// <summary>
    /// Opens the scope of one database read of the engine's, under the current source and capture, so that
    /// <see cref="MarkUncommittedRead"/> can tell it went through a transaction. Not counted as an open source scope.
    /// </summary>
    internal static LoadScope BeginLoad()
    {
        var parent = s_current.Value;
        var scope = new LoadScope(parent);
        s_current.Value = scope;
        return scope;
    }

    /// <summary>Marks the engine's database read running now (if any) as having read through an open transaction.</summary>
    internal static void MarkUncommittedRead()
    {
        for (var scope = s_current.Value; scope is not null; scope = scope.Parent)
        {
            if (scope is LoadScope load)
            {
                load.SawTransaction = true;
                return;
            }
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

    internal class Scope(string source, List<CacheEvent>? captured, Scope? parent) : IDisposable
    {
        private int _disposed;

        public string Source { get; } = source;

        public List<CacheEvent>? Captured { get; } = captured;

        public Scope? Parent => parent;

        public virtual void Dispose()
        {
            s_current.Value = parent;
            if (Interlocked.Exchange(ref _disposed, 1) == 0)
            {
                Interlocked.Decrement(ref s_open);
            }
        }
    }

    /// <summary>The scope of one database read: the parent's source and capture, and whether it saw a transaction.</summary>
    internal sealed class LoadScope(Scope? parent) : Scope(parent?.Source ?? DefaultSource, parent?.Captured, parent)
    {
        /// <summary>True once the read ran a command inside an open transaction.</summary>
        public bool SawTransaction { get; set; }

        // Not counted in s_open, so nothing to uncount.
        public override void Dispose() => s_current.Value = Parent;
    }
}
