using System.Collections.Concurrent;

namespace Qset.Caching;

/// <summary>
/// Fail-safe's copies: the last value populated under each key, with the ticket of the read that loaded it, kept until
/// <see cref="CacheOptions.FailSafeMaxDuration"/> past its TTL. A copy is only ever served through the store's populate
/// guard with that ticket, so one that a write invalidated since its read (on any node the store hears of) is refused,
/// whether or not this shelf heard of the write. Bounded by <see cref="CacheOptions.Capacity"/>.
/// </summary>
internal sealed class FailSafeShelf(CacheOptions options, TimeProvider time)
{
    private readonly ConcurrentDictionary<string, Shelved> _copies = new(StringComparer.Ordinal);
    private long _prunedAtTicks;

    /// <summary>One copy: the populated entry, and the ticket of the read that loaded it.</summary>
    public sealed record Shelved(CacheEntry Entry, PopulateTicket Ticket);

    /// <summary>True when fail-safe is on.</summary>
    public bool On => options.FailSafeMaxDuration > TimeSpan.Zero;

    /// <summary>How many copies are kept.</summary>
    public int Count => _copies.Count;

    /// <summary>Keeps <paramref name="entry"/>, just populated with <paramref name="ticket"/>, in place of the key's older copy.</summary>
    public void Keep(CacheEntry entry, PopulateTicket ticket)
    {
        if (!On)
        {
            return;
        }

        if (_copies.Count >= options.Capacity && !_copies.ContainsKey(entry.Key) && !Prune())
        {
            // Full of copies still within their time: the newest key goes without one rather than any being scanned for on each populate.
            return;
        }

        _copies[entry.Key] = new Shelved(entry, ticket);
    }

    /// <summary>The copy of <paramref name="key"/>, when it is still within <see cref="CacheOptions.FailSafeMaxDuration"/> of its TTL.</summary>
    public Shelved? Find(string key)
    {
        if (!On || !_copies.TryGetValue(key, out var copy))
        {
            return null;
        }

        if (time.GetUtcNow() < ServableUntil(copy))
        {
            return copy;
        }

        _copies.TryRemove(new KeyValuePair<string, Shelved>(key, copy));
        return null;
    }

    /// <summary>The time until which <paramref name="copy"/> may be served.</summary>
    public DateTimeOffset ServableUntil(Shelved copy) => copy.Entry.AbsoluteExpiration + options.FailSafeMaxDuration;

    /// <summary>Forgets the copy of <paramref name="key"/> (a write invalidated it: the guard would refuse it anyway).</summary>
    public void Drop(string key)
    {
        if (!_copies.IsEmpty)
        {
            _copies.TryRemove(key, out _);
        }
    }

    /// <summary>Forgets every copy (a flush).</summary>
    public void Clear() => _copies.Clear();

    // At most one pass a second, over a full shelf only: the copies whose time is over go.
    private bool Prune()
    {
        var now = time.GetUtcNow();
        var last = Interlocked.Read(ref _prunedAtTicks);
        if (now.UtcTicks - last < TimeSpan.TicksPerSecond || Interlocked.CompareExchange(ref _prunedAtTicks, now.UtcTicks, last) != last)
        {
            return false;
        }

        foreach (var copy in _copies)
        {
            if (now >= ServableUntil(copy.Value))
            {
                _copies.TryRemove(copy);
            }
        }

        return _copies.Count < options.Capacity;
    }
}
