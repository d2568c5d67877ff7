namespace Qset.Caching;

/// <summary>One node sharing the cache.</summary>
/// <param name="NodeId">The node's id (<c>Cache:NodeId</c>).</param>
/// <param name="LastSeen">Its latest heartbeat.</param>
/// <param name="KeyCount">How many keys it holds in its L1 (the memory store: in the store).</param>
/// <param name="IsSelf">True for the node answering.</param>
public sealed record CacheNode(string NodeId, DateTimeOffset LastSeen, int KeyCount, bool IsSelf);
