using Microsoft.Extensions.Logging;

namespace Qset.Caching;

/// <summary>
/// The one way the engine raises its events: each handler is called on its own, and one that throws is logged and
/// skipped, so a bad subscriber never fails a committed write, stops the other subscribers, or undoes a recovery.
/// </summary>
internal static partial class GuardedEvent
{
    /// <summary>Calls every handler of <paramref name="handlers"/> with <paramref name="args"/>, each guarded.</summary>
    public static void Raise<T>(EventHandler<T>? handlers, object sender, T args, ILogger logger)
    {
        foreach (var handler in handlers?.GetInvocationList() ?? [])
        {
            try
            {
                ((EventHandler<T>)handler)(sender, args);
            }
#pragma warning disable CA1031 // A subscriber's failure must never reach the cache.
            catch (Exception ex)
#pragma warning restore CA1031
            {
                SubscriberFailed(logger, typeof(T).Name, ex);
            }
        }
    }

    /// <summary>As <see cref="Raise{T}(EventHandler{T}, object, T, ILogger)"/>, for an event without arguments.</summary>
    public static void Raise(EventHandler? handlers, object sender, ILogger logger)
    {
        foreach (var handler in handlers?.GetInvocationList() ?? [])
        {
            try
            {
                ((EventHandler)handler)(sender, EventArgs.Empty);
            }
#pragma warning disable CA1031 // As above.
            catch (Exception ex)
#pragma warning restore CA1031
            {
                SubscriberFailed(logger, nameof(EventArgs), ex);
            }
        }
    }

    [LoggerMessage(EventId = 50, Level = LogLevel.Error, Message = "A subscriber of a cache event ({Event}) threw; the cache went on")]
    private static partial void SubscriberFailed(ILogger logger, string @event, Exception exception);
}
