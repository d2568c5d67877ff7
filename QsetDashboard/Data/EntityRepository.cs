using Microsoft.Data.Sqlite;
using Microsoft.EntityFrameworkCore;
using Qset.Caching;

namespace QsetDashboard.Data;

/// <summary>Reads and writes entities, one short-lived <see cref="QsetsDbContext"/> per operation.</summary>
public sealed class EntityRepository(IDbContextFactory<QsetsDbContext> contextFactory)
{
    private bool _keysLeftToCaller;

    /// <summary>
    /// This repository, with writes that leave the written rows' by-id keys to the caller, who invalidates them
    /// itself right after (the seed's explicit styles); table versions and query results are still invalidated.
    /// </summary>
    public EntityRepository LeavingByIdKeysToCaller() => new(contextFactory) { _keysLeftToCaller = true };
    /// <summary>The row with <paramref name="id"/>, untracked, or null.</summary>
    public async Task<T?> FindAsync<T>(int id, CancellationToken cancellationToken = default)
        where T : CacheableModel
    {
        await using var db = await contextFactory.CreateDbContextAsync(cancellationToken);
        return await db.Set<T>().AsNoTracking().SingleOrDefaultAsync(e => e.Id == id, cancellationToken);
    }

    /// <summary>
    /// Up to <paramref name="limit"/> rows with ids above <paramref name="afterId"/>, in id order (keyset paging: an
    /// index seek, whatever the table's size), and whether more follow.
    /// </summary>
    public async Task<(IReadOnlyList<T> Rows, bool More)> PageAsync<T>(int afterId, int limit, CancellationToken cancellationToken = default)
        where T : CacheableModel
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(limit, 1);
        await using var db = await contextFactory.CreateDbContextAsync(cancellationToken);
        var rows = await db.Set<T>().AsNoTracking().Where(e => e.Id > afterId).OrderBy(e => e.Id).Take(limit + 1).ToListAsync(cancellationToken);
        return rows.Count > limit ? (rows[..limit], true) : (rows, false);
    }

    /// <summary>Every row, ordered by id.</summary>
    public async Task<IReadOnlyList<T>> ListAsync<T>(CancellationToken cancellationToken = default)
        where T : CacheableModel
    {
        await using var db = await contextFactory.CreateDbContextAsync(cancellationToken);
        return await db.Set<T>().AsNoTracking().OrderBy(e => e.Id).ToListAsync(cancellationToken);
    }

    /// <summary>Inserts <paramref name="entity"/>, or updates the row with its id (the seed's <c>set</c>).</summary>
    public async Task UpsertAsync<T>(T entity, CancellationToken cancellationToken = default)
        where T : CacheableModel
    {
        ArgumentNullException.ThrowIfNull(entity);
        await using var db = await WriteContextAsync(cancellationToken);
        var existing = await db.Set<T>().SingleOrDefaultAsync(e => e.Id == entity.Id, cancellationToken);
        if (existing is null)
        {
            db.Add(entity);
        }
        else
        {
            db.Entry(existing).CurrentValues.SetValues(entity);
        }

        await db.SaveChangesAsync(cancellationToken);
    }

    /// <summary>Inserts <paramref name="entity"/>; false when a row with its id exists.</summary>
    public async Task<bool> InsertAsync<T>(T entity, CancellationToken cancellationToken = default)
        where T : CacheableModel
    {
        ArgumentNullException.ThrowIfNull(entity);
        await using var db = await WriteContextAsync(cancellationToken);
        db.Add(entity);
        try
        {
            await db.SaveChangesAsync(cancellationToken);
            return true;
        }
        catch (DbUpdateException ex) when (ex.InnerException is SqliteException { SqliteErrorCode: 19 } or Npgsql.PostgresException { SqlState: Npgsql.PostgresErrorCodes.UniqueViolation })
        {
            return false;
        }
    }

    /// <summary>Updates the row with <paramref name="entity"/>'s id; false when there is none.</summary>
    public async Task<bool> UpdateAsync<T>(T entity, CancellationToken cancellationToken = default)
        where T : CacheableModel
    {
        ArgumentNullException.ThrowIfNull(entity);
        await using var db = await WriteContextAsync(cancellationToken);
        var existing = await db.Set<T>().SingleOrDefaultAsync(e => e.Id == entity.Id, cancellationToken);
        if (existing is null)
        {
            return false;
        }

        db.Entry(existing).CurrentValues.SetValues(entity);
        return await SaveUnlessGoneAsync(db, cancellationToken);
    }

    /// <summary>Deletes the row with <paramref name="id"/>; false when there was none.</summary>
    public async Task<bool> DeleteAsync<T>(int id, CancellationToken cancellationToken = default)
        where T : CacheableModel
    {
        await using var db = await WriteContextAsync(cancellationToken);
        var existing = await db.Set<T>().SingleOrDefaultAsync(e => e.Id == id, cancellationToken);
        if (existing is null)
        {
            return false;
        }

        db.Remove(existing);
        return await SaveUnlessGoneAsync(db, cancellationToken);
    }

    private async Task<QsetsDbContext> WriteContextAsync(CancellationToken cancellationToken)
    {
        var db = await contextFactory.CreateDbContextAsync(cancellationToken);
        return _keysLeftToCaller ? db.LeaveByIdKeysToCaller() : db;
    }

    // Another write deleted the row between our read and our save: for this caller it is simply not there.
    private static async Task<bool> SaveUnlessGoneAsync(QsetsDbContext db, CancellationToken cancellationToken)
    {
        try
        {
            await db.SaveChangesAsync(cancellationToken);
            return true;
        }
        catch (DbUpdateConcurrencyException)
        {
            return false;
        }
    }

    /// <summary>
    /// Null when the database would take a write now, else why not: takes the write lock (<c>BEGIN IMMEDIATE</c>),
    /// runs a write that changes no row, and rolls back. Waits at most a second for another writer's lock.
    /// </summary>
    public async Task<string?> ProbeWriteAsync(CancellationToken cancellationToken = default)
    {
        string connectionString;
        bool postgres;
        await using (var db = await contextFactory.CreateDbContextAsync(cancellationToken))
        {
            connectionString = db.Database.GetConnectionString()!;
            postgres = db.Database.IsNpgsql();
        }

        // A connection of its own, outside EF Core, so the probe's write never reaches the invalidation interceptors.
        if (postgres)
        {
            return await ProbePostgresWriteAsync(connectionString, cancellationToken);
        }

        var builder = new SqliteConnectionStringBuilder(connectionString) { DefaultTimeout = 1 };
        try
        {
            await using var connection = new SqliteConnection(builder.ToString());
            await connection.OpenAsync(cancellationToken);
            await using var transaction = (SqliteTransaction)await connection.BeginTransactionAsync(cancellationToken);
            await using var command = connection.CreateCommand();
            command.Transaction = transaction;
            command.CommandText = "DELETE FROM \"__EFMigrationsHistory\" WHERE 0;";
            await command.ExecuteNonQueryAsync(cancellationToken);
            await transaction.RollbackAsync(cancellationToken);
            return null;
        }
        catch (SqliteException ex)
        {
            return ex.Message;
        }
    }

    // PostgreSQL takes writes while it is up and not read-only: a write that changes no row, rolled back, says so.
    private static async Task<string?> ProbePostgresWriteAsync(string connectionString, CancellationToken cancellationToken)
    {
        try
        {
            await using var connection = new Npgsql.NpgsqlConnection(connectionString);
            await connection.OpenAsync(cancellationToken);
            await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
            await using var command = new Npgsql.NpgsqlCommand("SET LOCAL lock_timeout = '1s'; DELETE FROM \"Users\" WHERE false;", connection, transaction);
            await command.ExecuteNonQueryAsync(cancellationToken);
            await transaction.RollbackAsync(cancellationToken);
            return null;
        }
        catch (Npgsql.NpgsqlException ex)
        {
            return ex.Message;
        }
    }

    /// <summary>True when the database answers.</summary>
    public async Task<bool> CanConnectAsync(CancellationToken cancellationToken = default)
    {
        await using var db = await contextFactory.CreateDbContextAsync(cancellationToken);
        return await db.Database.CanConnectAsync(cancellationToken);
    }
}
