using BenchmarkDotNet.Configs;
using BenchmarkDotNet.Jobs;
using BenchmarkDotNet.Running;
using BenchmarkDotNet.Toolchains.InProcess.Emit;
using Perfolizer.Horology;

// `--short`: one in-process launch with few, short iterations, so the whole suite runs in under 3 minutes on two
// cores (numbers are noisier; ratios hold). Without it, BenchmarkDotNet's default job runs (out of process, longer).
// RedisHitBenchmarks starts its own redis-server on a free loopback port (apt-get install -y redis-server).
// `--cache-page [keys]`: not a BenchmarkDotNet run: the Cache page's targets measured at scale (CachePageAtScale).
if (args.Length > 0 && args[0] == "--cache-page")
{
    return await QsetDashboard.Benchmarks.CachePageAtScale.RunAsync(
        args.Length > 1 ? int.Parse(args[1], System.Globalization.CultureInfo.InvariantCulture) : 1_000_000);
}

// `--resident [entries]`: the bytes one cached entry keeps alive, ours against raw IMemoryCache (ResidentMemory).
if (args.Length > 0 && args[0] == "--resident")
{
    return await QsetDashboard.Benchmarks.ResidentMemory.RunAsync(
        args.Length > 1 ? int.Parse(args[1], System.Globalization.CultureInfo.InvariantCulture) : 200_000);
}

// `--feed-lag [writes] [--postgres]`: the change feed's lag from an outside commit to the invalidation, and its idle cost (FeedLagProbe).
if (args.Length > 0 && args[0] == "--feed-lag")
{
    var counted = args.Skip(1).FirstOrDefault(a => a.All(char.IsAsciiDigit));
    return await QsetDashboard.Benchmarks.FeedLagProbe.RunAsync(
        counted is null ? 500 : int.Parse(counted, System.Globalization.CultureInfo.InvariantCulture),
        args.Contains("--postgres", StringComparer.OrdinalIgnoreCase));
}

// `--truth-bench [--seconds N]`: reads/s and stale reads of each system on one workload, two nodes (TruthBench).
if (args.Length > 0 && args[0] == "--truth-bench")
{
    var at = Array.IndexOf(args, "--seconds");
    return await QsetDashboard.Benchmarks.TruthBench.RunAsync(
        at > 0 && at + 1 < args.Length ? int.Parse(args[at + 1], System.Globalization.CultureInfo.InvariantCulture) : 10);
}

var shortRun = args.Contains("--short", StringComparer.OrdinalIgnoreCase);
var rest = args.Where(a => !a.Equals("--short", StringComparison.OrdinalIgnoreCase)).ToList();
if (!rest.Any(a => a is "--filter" or "-f" or "--list" or "--info"))
{
    rest.AddRange(["--filter", "*"]);
}

var config = DefaultConfig.Instance;
if (shortRun)
{
    config = config.AddJob(Job.Default
        .WithToolchain(InProcessEmitToolchain.Instance)
        .WithLaunchCount(1)
        .WithWarmupCount(3)
        .WithIterationCount(8)
        .WithIterationTime(TimeInterval.FromMilliseconds(150))
        .WithId("Short")
        .AsDefault());
}

BenchmarkSwitcher.FromAssembly(typeof(QsetDashboard.Benchmarks.BenchmarkEngine).Assembly).Run([.. rest], config);
return 0;
