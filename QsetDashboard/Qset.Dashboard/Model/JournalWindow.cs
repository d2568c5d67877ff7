using Qset.Caching;

namespace Qset.Dashboard.Model;

/// <summary>
/// The latest events of the journal that match a predicate, kept up to date incrementally: each
/// <see cref="Update"/> reads only what was appended since the last one.
/// </summary>
public sealed class JournalWindow(EventJournal journal, int limit, Func<CacheEvent, bool>? predicate = null)
{
    private readonly List<CacheEvent> _oldestFirst = [];
    private long _after;

    /// <summary>The matching events, newest first, at most the limit; replaced (never mutated) by <see cref="Update"/>.</summary>
    public CacheEvent[] NewestFirst { get; private set; } = [];

    /// <summary>Reads the events appended since the last update; true when the window changed.</summary>
    public bool Update()
    {
        var added = false;
        IReadOnlyList<CacheEvent> batch;
        while ((batch = journal.ReadAfter(_after, 4_096)).Count > 0)
        {
            _after = batch[^1].Sequence;
            foreach (var e in batch)
            {
                if (predicate is null || predicate(e))
                {
                    _oldestFirst.Add(e);
                    added = true;
                }
            }
        }

        if (!added)
        {
            return false;
        }

        if (_oldestFirst.Count > limit)
        {
            _oldestFirst.RemoveRange(0, _oldestFirst.Count - limit);
        }

        var newest = new CacheEvent[_oldestFirst.Count];
        for (var i = 0; i < newest.Length; i++)
        {
            newest[i] = _oldestFirst[^(i + 1)];
        }

        NewestFirst = newest;
        return true;
    }
}
