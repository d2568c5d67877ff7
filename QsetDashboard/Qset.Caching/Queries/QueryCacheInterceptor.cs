using System.Data.Common;
using System.Transactions;
using Microsoft.EntityFrameworkCore.Diagnostics;
using Qset.Caching.Interceptors;

namespace Qset.Caching.Queries;

/// <summary>
/// Serves <c>.Cacheable()</c> queries through the engine: the command's SQL and parameter values name the key,
/// the tables in its FROM and JOIN clauses are its dependencies, and the engine's cache-aside read (one database
/// read per key at a time) either plays the cached rows back or runs the command and caches what it read.
/// Also marks every read made inside a transaction, so the engine never caches uncommitted data.
/// </summary>
internal sealed class QueryCacheInterceptor(QsetCache cache, QueryIndex index, CacheRecorder recorder, ContextNames contextNames) : DbCommandInterceptor
{
    /// <summary>The MISS detail of a cacheable query run inside an open transaction.</summary>
    public const string InTransactionDetail = "inside an open transaction: read from the database, never cached";

    /// <inheritdoc />
    public override InterceptionResult<DbDataReader> ReaderExecuting(DbCommand command, CommandEventData eventData, InterceptionResult<DbDataReader> result)
    {
        if (Plan(command, eventData, result) is not { } plan)
        {
            return result;
        }

        var read = cache.GetAsync(
            plan.Key,
            (command, plan.Fingerprint),
            static (s, _) => Task.FromResult<CachedResult?>(CachedResult.Read(s.command, s.Fingerprint)),
            plan.Policy).AsTask().GetAwaiter().GetResult();
        return Serve(read.Value, plan, result);
    }

    /// <inheritdoc />
    public override async ValueTask<InterceptionResult<DbDataReader>> ReaderExecutingAsync(
        DbCommand command, CommandEventData eventData, InterceptionResult<DbDataReader> result, CancellationToken cancellationToken = default)
    {
        if (Plan(command, eventData, result) is not { } plan)
        {
            return result;
        }

        var read = await cache.GetAsync(
            plan.Key,
            (command, plan.Fingerprint),
            static (s, ct) => CachedResult.ReadAsync(s.command, s.Fingerprint, ct),
            plan.Policy,
            cancellationToken).ConfigureAwait(false);
        return Serve(read.Value, plan, result);
    }

    private QueryPlan? Plan(DbCommand command, CommandEventData eventData, InterceptionResult<DbDataReader> result)
    {
        var inTransaction = command.Transaction is not null || Transaction.Current is not null;
        if (inTransaction)
        {
            CacheContext.MarkUncommittedRead();
        }

        if (result.HasResult || !CacheableTag.TryRead(command.CommandText, out var ttl))
        {
            return null;
        }

        var names = eventData.Context is { } context ? contextNames.Of(context) : null;

        // The context's key prefix is part of what is hashed: a query that reads no table the model knows (its key
        // then names none) is another context's own result, not a shared one.
        var fingerprint = QueryKeys.Fingerprint(command.CommandText, command.Parameters);
        if (names is { Prefix.Length: > 0 })
        {
            fingerprint = $"-- qset context {names.Prefix}\n{fingerprint}";
        }

        string[] tables = [.. SqlTables.Read(command.CommandText)
            .SelectMany(t => names?.EntitiesOf(t.Table, t.Schema) ?? [t.Table])
            .Distinct(StringComparer.Ordinal)
            .Order(StringComparer.Ordinal)];
        var key = QueryKeys.For(fingerprint, tables);
        if (inTransaction)
        {
            recorder.Record(CacheEventKind.Miss, key, QueryKeys.EntityType, detail: InTransactionDetail);
            return null;
        }

        var policy = new CacheReadPolicy(
            QueryKeys.EntityType,
            [.. tables.Select(t => new TableDependency(t, TableVersionKind.AnyWrite))],
            ttl);
        index.Track(key, policy.DependsOn);
        return new QueryPlan(key, fingerprint, policy);
    }

    private static InterceptionResult<DbDataReader> Serve(CachedResult? cached, QueryPlan plan, InterceptionResult<DbDataReader> result) =>
        // A different fingerprint under the same key is a hash collision: let the database answer.
        cached is not null && string.Equals(cached.Fingerprint, plan.Fingerprint, StringComparison.Ordinal)
            ? InterceptionResult<DbDataReader>.SuppressWithResult(new CachedResultReader(cached))
            : result;

    private sealed record QueryPlan(string Key, string Fingerprint, CacheReadPolicy Policy);
}
