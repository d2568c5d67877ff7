using System.Data.Common;
using System.Runtime.CompilerServices;
using System.Transactions;
using Microsoft.EntityFrameworkCore;

namespace Qset.Caching.Interceptors;

/// <summary>
/// Holds writes until their data is committed: a SaveChanges' writes until it succeeds, and any write made
/// inside a transaction until that transaction commits (a rollback drops them: it invalidates nothing).
/// Weak tables, so a context or transaction dropped without commit takes its pending writes with it.
/// </summary>
internal sealed class PendingInvalidations(WriteInvalidator invalidator, Feed.FeedBoard feeds)
{
    /// <summary>The detail prefix of writes applied when their explicit transaction commits.</summary>
    public const string TransactionCommitted = "transaction committed";

    private readonly ConditionalWeakTable<object, UnderWay> _underWay = [];
    private readonly ConditionalWeakTable<DbTransaction, List<TableWrite>> _byTransaction = [];

    /// <summary>
    /// Remembers the writes <paramref name="owner"/> (a context's SaveChanges, or a command) is about to make, and marks
    /// them under way for the database feeds (which wait for this node's own writes rather than race it to them) until
    /// <see cref="End"/> and <see cref="Ended"/>.
    /// </summary>
    public void Begin(object owner, List<TableWrite> writes)
    {
        var marked = writes.Count > 0 && feeds.Following;
        if (marked)
        {
            feeds.OwnWriteBegins();
        }

        if (_underWay.TryGetValue(owner, out var previous) && previous.Marked)
        {
            feeds.OwnWritesApplied();
        }

        _underWay.AddOrUpdate(owner, new UnderWay(writes, marked));
    }

    /// <summary>Forgets and returns the writes <paramref name="owner"/> began (null when none); call <see cref="Ended"/> once they are routed.</summary>
    public List<TableWrite>? End(object owner, out bool marked)
    {
        if (_underWay.TryGetValue(owner, out var underWay))
        {
            _underWay.Remove(owner);
            marked = underWay.Marked;
            return underWay.Writes;
        }

        marked = false;
        return null;
    }

    /// <summary>Ends the mark <see cref="Begin"/> set, when it set one.</summary>
    public void Ended(bool marked)
    {
        if (marked)
        {
            feeds.OwnWritesApplied();
        }
    }

    /// <summary>
    /// Marks the writes held for <paramref name="transaction"/>, which is about to commit, as under way (see <see cref="Begin"/>);
    /// <see cref="CommitAsync"/> or <see cref="CommitFailed"/> ends the mark.
    /// </summary>
    public void Committing(DbTransaction transaction)
    {
        if (feeds.Following && HeldFor(transaction) > 0)
        {
            feeds.OwnWriteBegins();
            _underWay.AddOrUpdate(transaction, new UnderWay([], Marked: true));
        }
    }

    /// <summary>Ends the mark <see cref="Committing"/> set for a commit that failed.</summary>
    public void CommitFailed(DbTransaction transaction)
    {
        End(transaction, out var marked);
        Ended(marked);
    }

    private sealed record UnderWay(List<TableWrite> Writes, bool Marked);

    /// <summary>
    /// Applies <paramref name="writes"/> now when no transaction is open, or holds them until <paramref name="transaction"/>
    /// (or the ambient <see cref="Transaction"/>) commits.
    /// </summary>
    public Task RouteAsync(DbTransaction? transaction, IReadOnlyList<TableWrite> writes, string? when)
    {
        if (writes.Count == 0)
        {
            return Task.CompletedTask;
        }

        if (transaction is not null)
        {
            var held = _byTransaction.GetOrCreateValue(transaction);
            lock (held)
            {
                held.AddRange(writes);
            }

            return Task.CompletedTask;
        }

        if (Transaction.Current is { } ambient)
        {
            var source = CacheContext.Source;
            ambient.TransactionCompleted += (_, e) =>
            {
                if (e.Transaction?.TransactionInformation.Status == TransactionStatus.Committed)
                {
                    using (CacheContext.Use(source))
                    {
                        invalidator.ApplyAsync(writes, TransactionCommitted).GetAwaiter().GetResult();
                    }
                }
            };
            return Task.CompletedTask;
        }

        return invalidator.ApplyAsync(writes, when);
    }

    /// <summary>Applies the writes held for <paramref name="transaction"/>, which just committed.</summary>
    public async Task CommitAsync(DbTransaction transaction)
    {
        End(transaction, out var marked);
        try
        {
            if (Take(transaction) is { } held)
            {
                await invalidator.ApplyAsync(held, TransactionCommitted).ConfigureAwait(false);
            }
        }
        finally
        {
            Ended(marked);
        }
    }

    /// <summary>Drops the writes held for <paramref name="transaction"/>, which rolled back.</summary>
    public void Discard(DbTransaction transaction) => Take(transaction);

    /// <summary>How many writes wait for <paramref name="transaction"/>.</summary>
    public int HeldFor(DbTransaction transaction) =>
        _byTransaction.TryGetValue(transaction, out var held) ? held.Count : 0;

    private List<TableWrite>? Take(DbTransaction transaction)
    {
        if (!_byTransaction.TryGetValue(transaction, out var held))
        {
            return null;
        }

        _byTransaction.Remove(transaction);
        lock (held)
        {
            return [.. held];
        }
    }
}
