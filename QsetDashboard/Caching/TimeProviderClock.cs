using Microsoft.Extensions.Internal;

namespace QsetDashboard.Caching;

/// <summary>Lets <see cref="Microsoft.Extensions.Caching.Memory.MemoryCache"/> read the injected <see cref="TimeProvider"/>, so TTL can be tested.</summary>
internal sealed class TimeProviderClock(TimeProvider timeProvider) : ISystemClock
{
    public DateTimeOffset UtcNow => timeProvider.GetUtcNow();
}
