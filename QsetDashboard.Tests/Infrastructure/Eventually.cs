namespace QsetDashboard.Tests.Infrastructure;

/// <summary>Waits for something that happens on another thread (an eviction callback, a subscriber), with a generous bound.</summary>
public static class Eventually
{
    public static async Task TrueAsync(Func<bool> condition, string because, int timeoutMs = 10_000)
    {
        var deadline = DateTime.UtcNow.AddMilliseconds(timeoutMs);
        while (!condition())
        {
            if (DateTime.UtcNow > deadline)
            {
                Assert.Fail($"Timed out after {timeoutMs} ms waiting until {because}.");
            }

            await Task.Delay(20);
        }
    }
}
