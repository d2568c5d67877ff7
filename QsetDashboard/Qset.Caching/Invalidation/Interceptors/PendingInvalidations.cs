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
internal sealed class PendingInvalidations(WriteInvalidator invalidator)
{
    /// <summary>The detail prefix of writes applied when their explicit transaction commits.</summary>
    public const string TransactionCommitted = "transaction committed";

    private readonly ConditionalWeakTable<DbContext, List<TableWrite>> _saving = [];
    private readonly ConditionalWeakTable<DbTransaction, List<TableWrite>> _byTransaction = [];

    /// <summary>Remembers the writes a SaveChanges of <paramref name="context"/> is about to make.</summary>
    public void BeginSave(DbContext context, List<TableWrite> writes) => _saving.AddOrUpdate(context, writes);

    /// <summary>Forgets and returns the writes of <paramref name="context"/>'s SaveChanges (null when none).</summary>
    public List<TableWrite>? EndSave(DbContext context)
    {
        if (_saving.TryGetValue(context, out var writes))
        {
            _saving.Remove(context);
            return writes;
        }

        return null;
    }

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
    public Task CommitAsync(DbTransaction transaction)
    {
        var held = Take(transaction);
        return held is null ? Task.CompletedTask : invalidator.ApplyAsync(held, TransactionCommitted);
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
