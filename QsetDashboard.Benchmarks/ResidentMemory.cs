using System.Globalization;
using Microsoft.Extensions.Caching.Memory;
using Qset.Caching;
using QsetDashboard.Data;

namespace QsetDashboard.Benchmarks;

/// <summary>
/// <c>dotnet run -c Release --project QsetDashboard.Benchmarks -- --resident [entries]</c>: the bytes one cached entry
/// keeps alive, ours against raw <c>IMemoryCache</c> holding the same users, in one run. BenchmarkDotNet's memory
/// diagnoser counts what an operation allocates, garbage included; this counts what stays: the GC heap after a full
/// collection, before and after filling each cache, divided by the entries.
/// </summary>
internal static class ResidentMemory
{
    public static async Task<int> RunAsync(int entries)
    {
        var users = Enumerable.Range(1, entries).Select(i => new User { Id = i, Name = $"user {i}" }).ToArray();
        var keys = users.Select(u => CacheKeys.For<User>(u.Id)).ToArray();

        var before = Heap();
        var raw = new MemoryCache(new MemoryCacheOptions { SizeLimit = entries });
        for (var i = 0; i < entries; i++)
        {
            raw.Set(keys[i], users[i], new MemoryCacheEntryOptions { AbsoluteExpirationRelativeToNow = TimeSpan.FromHours(1), Size = 1 });
        }

        var rawBytes = (Heap() - before) / (double)entries;
        GC.KeepAlive(raw);
        raw.Dispose();

        // What one part of ours costs on its own: the post-eviction callback each entry registers (EXPIRE, EVICT).
        PostEvictionDelegate onEvicted = static (_, _, _, _) => { };
        before = Heap();
        var withCallback = new MemoryCache(new MemoryCacheOptions { SizeLimit = entries });
        for (var i = 0; i < entries; i++)
        {
            var options = new MemoryCacheEntryOptions { AbsoluteExpirationRelativeToNow = TimeSpan.FromHours(1), Size = 1 };
            options.RegisterPostEvictionCallback(onEvicted, users[i]);
            withCallback.Set(keys[i], users[i], options);
        }

        var callbackBytes = (Heap() - before) / (double)entries;
        GC.KeepAlive(withCallback);
        withCallback.Dispose();

        await using var engine = BenchmarkEngine.Start(new Dictionary<string, string?>
        {
            ["Cache:Capacity"] = entries.ToString(CultureInfo.InvariantCulture),
            ["Cache:DefaultTtl"] = "01:00:00",
        });
        var cache = engine.Cache;
        before = Heap();
        for (var i = 0; i < entries; i++)
        {
            var user = users[i];
            await cache.GetAsync<User, User>(keys[i], user, static (u, _) => Task.FromResult<User?>(u));
        }

        var oursBytes = (Heap() - before) / (double)entries;
        GC.KeepAlive(cache);

        Console.WriteLine();
        Console.WriteLine($"| Resident bytes per entry, {entries:N0} users (the users and keys themselves not counted) | Bytes | Ratio |");
        Console.WriteLine("| --- | --- | --- |");
        Console.WriteLine($"| IMemoryCache.Set (raw) | {rawBytes:N0} | 1.00 |");
        Console.WriteLine($"| IMemoryCache.Set with a post-eviction callback | {callbackBytes:N0} | {callbackBytes / rawBytes:N2} |");
        Console.WriteLine($"| Qset memory store populate | {oursBytes:N0} | {oursBytes / rawBytes:N2} |");
        return 0;
    }

    private static long Heap()
    {
        GC.Collect(GC.MaxGeneration, GCCollectionMode.Forced, blocking: true, compacting: true);
        GC.WaitForPendingFinalizers();
        return GC.GetTotalMemory(forceFullCollection: true);
    }
}
