using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;
using QsetDashboard.Load;
using QsetDashboard.Tests.Infrastructure;

namespace QsetDashboard.Tests.Load;

public sealed class LoadGeneratorTests
{
    private const int Samples = 200_000;

    private static LoadSettings Tiny => new()
    {
        Clients = 2,
        Duration = TimeSpan.FromSeconds(1),
        ReadPercent = 90,
        KeyCount = 50,
        Distribution = KeyDistribution.Zipf,
        SampleInterval = TimeSpan.FromMilliseconds(100),
    };

    [Fact]
    public void Zipf_FavoursTheTopKeys_AsTheLawSays()
    {
        var frequencies = Frequencies(new KeyChooser(100, KeyDistribution.Zipf, 1.0));

        // Zipf s=1 over 100 keys: P(rank 1) = 1/H(100) ≈ 0.193, the top 10 together H(10)/H(100) ≈ 0.565.
        Assert.InRange(frequencies[0], 0.18, 0.21);
        Assert.InRange(frequencies[..10].Sum(), 0.54, 0.59);
        Assert.True(frequencies[0] > 1.8 * frequencies[1], "rank 1 is about twice as frequent as rank 2");
        Assert.True(frequencies[1] > frequencies[9] && frequencies[9] > frequencies[99]);
    }

    [Fact]
    public void Uniform_GivesEveryKeyTheSameShare()
    {
        var frequencies = Frequencies(new KeyChooser(100, KeyDistribution.Uniform, 1.0));

        Assert.All(frequencies, f => Assert.InRange(f, 0.008, 0.012));
        Assert.InRange(frequencies[..10].Sum(), 0.09, 0.11);
    }

    [Fact]
    public void Validate_NamesEveryBadSetting_WithItsRange()
    {
        var settings = new LoadSettings
        {
            Clients = 0,
            Duration = TimeSpan.FromMinutes(5),
            ReadPercent = 150,
            KeyCount = 0,
            ZipfExponent = 9,
        };

        var errors = settings.Validate();

        Assert.Equal(5, errors.Count);
        Assert.Contains(errors, e => e.StartsWith("Clients must be between 1 and 32", StringComparison.Ordinal));
        Assert.Contains(errors, e => e.StartsWith("Duration must be between 0.1 and 60 seconds", StringComparison.Ordinal));
        Assert.Contains(errors, e => e.StartsWith("Read share must be between 0 and 100", StringComparison.Ordinal));
        Assert.Contains(errors, e => e.StartsWith("Key count must be between 1 and 10000", StringComparison.Ordinal));
        Assert.Contains(errors, e => e.StartsWith("Zipf exponent must be between 0.5 and 2", StringComparison.Ordinal));
        Assert.Empty(new LoadSettings().Validate());
    }

    [Fact]
    public async Task Run_WithInvalidSettings_ThrowsWithTheMessages_AndRunsNothing()
    {
        await using var host = await EngineHost.StartAsync();
        var generator = Generator(host);

        var error = await Assert.ThrowsAsync<ArgumentException>(() => generator.RunAsync(Tiny with { Clients = 99 }));

        Assert.Contains("Clients must be between 1 and 32 (got 99)", error.Message, StringComparison.Ordinal);
        Assert.False(generator.IsRunning);
        Assert.Equal(0, host.Journal.LastSequence);
    }

    [Fact]
    public async Task Run_StopsByItselfAtItsDuration_WithTheRequestedReadShare_AndBothSidesMeasured()
    {
        // On a fake clock the run's duration passes only when the test moves it, so how much work the clients do
        // does not depend on how busy the machine is: the clock moves in small steps until they have done enough.
        var time = new FakeTimeProvider(DateTimeOffset.UtcNow);
        await using var host = await EngineHost.StartAsync(timeProvider: time);
        var settings = Tiny with { Duration = TimeSpan.FromSeconds(60) };
        List<LoadSnapshot> seen = [];

        var run = Generator(host).RunAsync(settings, s => { lock (seen) { seen.Add(s); } });
        await Eventually.TrueAsync(() =>
        {
            time.Advance(TimeSpan.FromMilliseconds(10));
            LoadTotals? totals;
            lock (seen)
            {
                totals = seen.Count == 0 ? null : seen[^1].Totals;
            }

            return totals is { Hits: > 0, UncachedReads: > 0 } t && t.Reads + t.Writes >= 200;
        }, "the clients did at least 200 operations, some of them hits, beside uncached reads", 60_000);
        time.Advance(settings.Duration);
        var result = await run.WaitAsync(TimeSpan.FromSeconds(30));

        Assert.False(result.Cancelled);
        Assert.True(result.Elapsed >= settings.Duration, $"the run lasted its duration ({result.Elapsed})");
        var final = result.Final.Totals;
        var operations = final.Reads + final.Writes;

        // Reads are a binomial draw with p = 0.9: within 4 standard deviations of it (a false alarm ~1 in 15,000).
        var tolerance = 4 * Math.Sqrt(0.9 * 0.1 / operations);
        Assert.InRange((double)final.Reads / operations, 0.9 - tolerance, 0.9 + tolerance);
        Assert.Equal(0, final.Errors);
        Assert.Equal(1.0, result.Final.Progress);
        Assert.NotEmpty(result.Series);
        Assert.True(result.Series.Zip(result.Series.Skip(1)).All(p => p.First.Elapsed <= p.Second.Elapsed));
        Assert.Equal(result.Series.Count + 1, seen.Count);
        Assert.Equal(final.Hits, host.Cache.GetStats().Hits);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(100)]
    public async Task Run_AtAnExtremeReadShare_DoesOnlyThatKindOfOperation(int readPercent)
    {
        await using var host = await EngineHost.StartAsync();

        var result = await Generator(host).RunAsync(Tiny with { ReadPercent = readPercent, Duration = TimeSpan.FromMilliseconds(300) });

        var totals = result.Final.Totals;
        Assert.True(totals.Reads + totals.Writes > 0);
        Assert.Equal(readPercent == 0 ? 0 : totals.Reads + totals.Writes, totals.Reads);
        Assert.True(readPercent == 0 ? totals.UncachedReads == 0 : totals.UncachedReads > 0, "uncached readers run only when there are reads to compare");
    }

    [Fact]
    public async Task Run_CanBeCancelled_AndSaysSo_AndASecondRunMustWait()
    {
        await using var host = await EngineHost.StartAsync();
        var generator = Generator(host);
        using var cancel = new CancellationTokenSource();
        var firstSnapshot = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);

        var run = generator.RunAsync(Tiny with { Duration = TimeSpan.FromSeconds(30) }, _ => firstSnapshot.TrySetResult(), cancel.Token);
        await firstSnapshot.Task.WaitAsync(TimeSpan.FromSeconds(20));
        await Assert.ThrowsAsync<InvalidOperationException>(() => generator.RunAsync(Tiny));
        await cancel.CancelAsync();
        var result = await run.WaitAsync(TimeSpan.FromSeconds(20));

        Assert.True(result.Cancelled);
        Assert.False(generator.IsRunning);
        Assert.Equal(0, await LoadUsersLeftAsync(host));
    }

    [Fact]
    public async Task Run_RemovesTheUsersItCreated_AndLeavesTheUsersOwnRowsAsTheyWere()
    {
        await using var host = await EngineHost.StartAsync();
        await using (var db = host.NewContext())
        {
            db.Users.AddRange(new QsetDashboard.Data.User { Id = 42, Name = "Important customer" },
                new QsetDashboard.Data.User { Id = LoadGenerator.IdOffset, Name = "Just below the range" });
            await db.SaveChangesAsync();
        }

        var result = await Generator(host).RunAsync(Tiny with { Duration = TimeSpan.FromMilliseconds(300), ReadPercent = 0 });

        Assert.True(result.Final.Totals.Writes > 0, "the run wrote its users");
        Assert.Equal(0, await LoadUsersLeftAsync(host));
        Assert.Equal("Important customer", (await host.Repository.FindAsync<QsetDashboard.Data.User>(42))?.Name);
        Assert.Equal("Just below the range", (await host.Repository.FindAsync<QsetDashboard.Data.User>(LoadGenerator.IdOffset))?.Name);

        // Nor does the cache keep a user the run deleted.
        Assert.Null((await host.Generic.ReadAsync<QsetDashboard.Data.User>(LoadGenerator.IdOf(0))).Value);
    }

    private static async Task<int> LoadUsersLeftAsync(EngineHost host)
    {
        await using var db = host.NewContext();
        return await db.Users.CountAsync(u => u.Id >= LoadGenerator.FirstId && u.Id <= LoadGenerator.LastId);
    }

    private static LoadGenerator Generator(EngineHost host) => ActivatorUtilities.CreateInstance<LoadGenerator>(host.Services);

    private static double[] Frequencies(KeyChooser chooser)
    {
        var random = new Random(42);
        var counts = new double[100];
        for (var i = 0; i < Samples; i++)
        {
            counts[chooser.Next(random)]++;
        }

        return [.. counts.Select(c => c / Samples)];
    }
}
