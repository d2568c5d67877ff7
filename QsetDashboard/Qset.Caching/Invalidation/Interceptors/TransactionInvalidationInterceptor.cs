using System.Data.Common;
using Microsoft.EntityFrameworkCore.Diagnostics;

namespace Qset.Caching.Interceptors;

/// <summary>Applies the writes held for a transaction when it commits, and drops them when it rolls back.</summary>
internal sealed class TransactionInvalidationInterceptor(PendingInvalidations pending) : DbTransactionInterceptor
{
    /// <inheritdoc />
    public override InterceptionResult TransactionCommitting(DbTransaction transaction, TransactionEventData eventData, InterceptionResult result)
    {
        pending.Committing(transaction);
        return result;
    }

    /// <inheritdoc />
    public override ValueTask<InterceptionResult> TransactionCommittingAsync(
        DbTransaction transaction, TransactionEventData eventData, InterceptionResult result, CancellationToken cancellationToken = default)
    {
        pending.Committing(transaction);
        return ValueTask.FromResult(result);
    }

    /// <inheritdoc />
    public override void TransactionFailed(DbTransaction transaction, TransactionErrorEventData eventData)
    {
        if (eventData.Action == "Commit")
        {
            pending.CommitFailed(transaction);
        }
    }

    /// <inheritdoc />
    public override Task TransactionFailedAsync(DbTransaction transaction, TransactionErrorEventData eventData, CancellationToken cancellationToken = default)
    {
        TransactionFailed(transaction, eventData);
        return Task.CompletedTask;
    }

    /// <inheritdoc />
    public override void TransactionCommitted(DbTransaction transaction, TransactionEndEventData eventData) =>
        pending.CommitAsync(transaction).GetAwaiter().GetResult();

    /// <inheritdoc />
    public override Task TransactionCommittedAsync(DbTransaction transaction, TransactionEndEventData eventData, CancellationToken cancellationToken = default) =>
        pending.CommitAsync(transaction);

    /// <inheritdoc />
    public override void TransactionRolledBack(DbTransaction transaction, TransactionEndEventData eventData) =>
        pending.Discard(transaction);

    /// <inheritdoc />
    public override Task TransactionRolledBackAsync(DbTransaction transaction, TransactionEndEventData eventData, CancellationToken cancellationToken = default)
    {
        pending.Discard(transaction);
        return Task.CompletedTask;
    }
}
