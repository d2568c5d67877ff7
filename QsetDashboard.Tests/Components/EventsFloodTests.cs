using Bunit;
using Microsoft.Extensions.Time.Testing;
using Qset.Caching;
using Qset.Dashboard.Components.Pages;
using QsetDashboard.Tests.Infrastructure;

namespace QsetDashboard.Tests.Components;

/// <summary>The Events page under a flood: a full journal and 1,000 events a second, on a fake clock.</summary>
public sealed class EventsFloodTests : DashboardTestContext
{
    private readonly FakeTimeProvider _time = new(new DateTimeOffset(2026, 11, 26, 0, 0, 0, TimeSpan.Zero));

    protected override TimeProvider? CreateTimeProvider() => _time;

    private void Append(int from, int count)
    {
        for (var i = from; i < from + count; i++)
        {
            Engine.Journal.Append(new CacheEvent(0, _time.GetUtcNow(), CacheEventKind.Hit, $"User.{i}", "User", "flood", TimeSpan.Zero, null));
        }
    }

    [Fact]
    public async Task FullJournal_AThousandEventsASecond_RendersAtMostTenTimesASecond_WithABoundedDom()
    {
        Append(0, Engine.Journal.Capacity);
        var cut = RenderWithProviders<Events>();
        var started = _time.GetUtcNow();

        // One second of the clock: 1,000 events, 10 every 10 ms.
        var next = Engine.Journal.Capacity;
        for (var tick = 0; tick < 100; tick++)
        {
            Append(next, 10);
            next += 10;
            _time.Advance(TimeSpan.FromMilliseconds(10));
        }

        // The last event reaches the page once the throttle's interval has passed.
        var last = $"User.{next - 1}";
        await Eventually.TrueAsync(
            () =>
            {
                _time.Advance(TimeSpan.FromMilliseconds(100));
                return cut.FindAll("[data-testid=event-row]").FirstOrDefault()?.GetAttribute("data-key") == last;
            },
            "the newest event is shown");

        // Ten live renders a second at most: one per 100 ms of the clock, plus the immediate first. A render per event
        // would be more than a thousand. (The page's other renders, its controls' own, do not follow the journal.)
        var refreshes = cut.Instance.LiveRefreshCount;
        var clock = _time.GetUtcNow() - started;
        Assert.InRange(refreshes, 1, (int)(clock / TimeSpan.FromMilliseconds(100)) + 1);
        Assert.InRange(cut.FindAll("[data-testid=event-row]").Count, 1, 200);
        Assert.StartsWith($"{Engine.Journal.Capacity:N0} of {Engine.Journal.Capacity:N0} events", cut.Find("[data-testid=events-count]").TextContent.Trim(), StringComparison.Ordinal);
    }
}
