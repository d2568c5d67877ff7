namespace QsetDashboard.Tests.Infrastructure;

/// <summary>Waits for something that happens on another thread (an eviction callback, a subscriber), with a generous bound.</summary>
public static class Eventually
{
    public static Task TrueAsync(Func<bool> condition, string because, int timeoutMs = 10_000) =>
        TrueAsync(() => Task.FromResult(condition()), because, timeoutMs);

    /// <summary>As above, for a condition that must await (an HTTP call): no thread is blocked while it runs.</summary>
    public static Task TrueAsync(Func<Task<bool>> condition, string because, int timeoutMs = 10_000) =>
        TrueAsync(condition, () => because, timeoutMs);

    /// <summary>As above, with a message written when the wait fails (what the journal held by then).</summary>
    public static async Task TrueAsync(Func<Task<bool>> condition, Func<string> because, int timeoutMs = 10_000)
    {
        var deadline = DateTime.UtcNow.AddMilliseconds(timeoutMs);
        while (!await condition())
        {
            if (DateTime.UtcNow > deadline)
            {
                Assert.Fail($"Timed out after {timeoutMs} ms waiting until {because()}.");
            }

            await Task.Delay(20);
        }
    }
}
