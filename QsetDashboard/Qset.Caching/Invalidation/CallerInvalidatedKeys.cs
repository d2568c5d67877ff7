using System.Runtime.CompilerServices;
using Microsoft.EntityFrameworkCore;

namespace Qset.Caching;

/// <summary>
/// Writes whose caller invalidates the by-id keys itself (the explicit styles: save, then invalidate the key), so that
/// the automatic invalidation does not invalidate those keys a second time. Table versions and query results are
/// still invalidated automatically: only the rows' own keys are left to the caller.
/// </summary>
public static class CallerInvalidatedKeys
{
    // The context's id when it was marked: a pooled context handed out again has a new lease, and is not marked.
    private static readonly ConditionalWeakTable<DbContext, StrongBox<DbContextId>> s_marked = [];

    /// <summary>
    /// Marks <paramref name="context"/>'s writes from now on as leaving their rows' by-id keys to the caller, until the
    /// context is disposed (a pooled context comes back from the pool unmarked).
    /// </summary>
    /// <returns>The same context.</returns>
    public static TContext LeaveByIdKeysToCaller<TContext>(this TContext context)
        where TContext : DbContext
    {
        ArgumentNullException.ThrowIfNull(context);
        s_marked.AddOrUpdate(context, new StrongBox<DbContextId>(context.ContextId));
        return context;
    }

    /// <summary>True when <paramref name="context"/> was marked by <see cref="LeaveByIdKeysToCaller"/>.</summary>
    internal static bool AreLeftToCaller(DbContext context) =>
        s_marked.TryGetValue(context, out var marked) && marked.Value == context.ContextId;
}
