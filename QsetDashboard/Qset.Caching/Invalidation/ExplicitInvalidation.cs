namespace Qset.Caching;

/// <summary>
/// Marks writes whose caller invalidates the by-id key itself (the seed's three styles do, right after the write),
/// so that the automatic EF invalidation does not invalidate that key a second time. Table versions and query
/// results are still invalidated automatically: only the caller's own key is left to the caller.
/// </summary>
public static class ExplicitInvalidation
{
    private static readonly AsyncLocal<bool> s_active = new();

    /// <summary>True inside <see cref="Begin"/>.</summary>
    public static bool IsActive => s_active.Value;

    /// <summary>Starts a scope whose writes leave by-id keys to the caller.</summary>
    public static IDisposable Begin()
    {
        var previous = s_active.Value;
        s_active.Value = true;
        return new Scope(previous);
    }

    private sealed class Scope(bool previous) : IDisposable
    {
        public void Dispose() => s_active.Value = previous;
    }
}
