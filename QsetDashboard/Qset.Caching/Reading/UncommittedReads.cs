namespace Qset.Caching;

/// <summary>
/// Tells the engine that the database read it is running went through an open transaction, so its value may
/// be uncommitted and must never be cached. The engine opens a scope around each load; the EF command
/// interceptor marks it when a reader runs inside a transaction.
/// </summary>
internal static class UncommittedReads
{
    /// <summary>The REJECT detail of a value read inside a transaction.</summary>
    public const string RejectReason = "read inside an open transaction: uncommitted data is never cached";

    private static readonly AsyncLocal<Scope?> s_current = new();

    /// <summary>Marks the load running now (if any) as having read through an open transaction.</summary>
    public static void MarkCurrentRead()
    {
        if (s_current.Value is { } scope)
        {
            scope.SawTransaction = true;
        }
    }

    internal static Scope Begin()
    {
        var scope = new Scope(s_current.Value);
        s_current.Value = scope;
        return scope;
    }

    internal sealed class Scope(Scope? parent) : IDisposable
    {
        public bool SawTransaction { get; set; }

        public void Dispose() => s_current.Value = parent;
    }
}
