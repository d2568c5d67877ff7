using Qset.Caching;
using QsetDashboard.Data;

namespace QsetDashboard.Tests.Engine.Stores.Memory;

public sealed class EntryOrderIndexTests
{
    [Theory]
    [InlineData(CacheOrder.Ttl)]
    [InlineData(CacheOrder.Size)]
    public void AfterAClear_ABuildBegunBefore_FilesNothing_ThoughItsEntriesAreStillLinked(CacheOrder order)
    {
        // A clear unchains what it dropped off the lock, after: an entry of the old store may still read as linked
        // when a build or a measuring begun before the clear files it.
        var index = new EntryOrderIndex(order);
        var generation = 0;
        index.Use(0, g =>
        {
            generation = g;
            return Task.CompletedTask;
        });
        var old = Linked("User.1");

        index.Clear();
        index.File([old], generation);

        Assert.True(index.Active, "the order stays kept, empty");
        Assert.Empty(index.Set);
        var fresh = Linked("User.2");
        index.File([fresh], index.Generation);
        Assert.Equal([fresh], index.Set);
    }

    private static CacheEntry Linked(string key)
    {
        var now = DateTimeOffset.UtcNow;
        var user = new User { Id = 1, Name = "n" };
        var entry = new CacheEntry(key, "User", user, CacheJson.Serialize(user), now, TimeProvider.System.GetTimestamp(), now.AddMinutes(5), null)
        {
            Linked = true,
        };
        _ = entry.SizeBytes;
        return entry;
    }
}
