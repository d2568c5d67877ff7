namespace Qset.Caching.Interceptors;

/// <summary>One committed (or about to be committed) write to a table, as the invalidation sees it.</summary>
/// <param name="Table">The entity type the table holds (<c>User</c>), the name keys and table versions use.</param>
/// <param name="Key">The by-id key of the written row (<c>User.1</c>), or null when the rows are not known or the caller invalidates it.</param>
/// <param name="What">What happened, for the event's detail: <c>User modified</c>, <c>ExecuteDelete on Users</c>.</param>
/// <param name="Bulk">True when the rows are not known, so every by-id entry of the table is stale.</param>
/// <param name="RowKey">The by-id key of the written row even when the caller invalidates it (<see cref="Key"/> null): the key the database feed sees the write under.</param>
internal sealed record TableWrite(string Table, string? Key, string What, bool Bulk, string? RowKey = null);
