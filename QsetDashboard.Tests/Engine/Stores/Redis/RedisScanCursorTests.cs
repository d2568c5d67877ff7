using Qset.Caching.Redis;

namespace QsetDashboard.Tests.Engine.Stores.Redis;

public sealed class RedisScanCursorTests
{
    [Fact]
    public void ACursor_CarriesItsScanPosition_AndTheKeysLeftOfItsBatch_WhateverTheyContain()
    {
        string[] rest = ["User.1", "Query.tab\tle|\u00e9", "Team.42"];

        var (scan, pending) = RedisScanCursor.Parse(RedisScanCursor.Format(1234, rest));

        Assert.Equal(1234UL, scan);
        Assert.Equal(rest, pending);
        Assert.Equal((0UL, 0), (RedisScanCursor.Parse(null).Cursor, RedisScanCursor.Parse(null).Pending.Count));
        Assert.Equal((77UL, 0), (RedisScanCursor.Parse(RedisScanCursor.Format(77)).Cursor, RedisScanCursor.Parse(RedisScanCursor.Format(77)).Pending.Count));
    }

    [Theory]
    [InlineData("not a cursor")]
    [InlineData("r")]
    [InlineData("rx")]
    [InlineData("r12.")]
    [InlineData("r12.!!!")]
    [InlineData("r-1")]
    public void AForeignCursor_IsRefused(string cursor)
    {
        Assert.Throws<ArgumentException>(() => RedisScanCursor.Parse(cursor));
    }
}
