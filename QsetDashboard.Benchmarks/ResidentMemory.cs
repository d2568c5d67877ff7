using System.Globalization;
using Microsoft.Extensions.Caching.Memory;
using Microsoft.Extensions.DependencyInjection;
using Qset.Caching;
using Qset.Caching.Ledger;
using QsetDashboard.Data;

namespace QsetDashboard.Benchmarks;

/// <summary>
/// <c>dotnet run -c Release --project QsetDashboard.Benchmarks -- --resident [entries]</c>: the bytes one cached entry
/// keeps alive, ours against raw <c>IMemoryCache</c> holding the same users, in one run. BenchmarkDotNet's memory
/// diagnoser counts what an operation allocates, garbage included; this counts what stays: the GC heap after a full
/// collection, before and after filling each cache, divided by the entries. Ours runs as the app runs it, with the
/// savings ledger following its journal.
/// </summary>
internal static class ResidentMemory
{
    public static async Task<int> RunAsync(int entries)
    {
        var before = Heap();
        var users = Enumerable.Range(1, entries).Select(i => new User { Id = i, Name = $"user {i}" }).ToArray();
        var keys = users.Select(u => CacheKeys.For<User>(u.Id)).ToArray();

        // What the cached objects themselves cost (a user and its key), less the two arrays' references to them.
        var objectBytes = ((Heap() - before) / (double)entries) - (2 * IntPtr.Size);

        before = Heap();
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

        var oursBytes = await OursAsync(users, keys, valuesInMemoryCache: true);
        var withoutCopyBytes = await OursAsync(users, keys, valuesInMemoryCache: false);

        Console.WriteLine();
        Console.WriteLine($"| Resident bytes per entry, {entries:N0} users (the users and keys themselves not counted) | Bytes | Ratio |");
        Console.WriteLine("| --- | --- | --- |");
        Console.WriteLine($"| IMemoryCache.Set (raw) | {rawBytes:N0} | 1.00 |");
        Console.WriteLine($"| IMemoryCache.Set with a post-eviction callback | {callbackBytes:N0} | {callbackBytes / rawBytes:N2} |");
        Console.WriteLine($"| Qset memory store populate | {oursBytes:N0} | {oursBytes / rawBytes:N2} |");
        Console.WriteLine($"| Qset memory store populate, Cache:ValuesInMemoryCache off | {withoutCopyBytes:N0} | {withoutCopyBytes / rawBytes:N2} |");
        Console.WriteLine();
        Console.WriteLine($"The same with each user and its key counted ({objectBytes:N0} bytes): raw {rawBytes + objectBytes:N0}; " +
            $"ours {(oursBytes + objectBytes) / (rawBytes + objectBytes):N2}x, off {(withoutCopyBytes + objectBytes) / (rawBytes + objectBytes):N2}x.");
        return 0;
    }

    private static async Task<double> OursAsync(User[] users, string[] keys, bool valuesInMemoryCache)
    {
        var entries = users.Length;
        await using var engine = BenchmarkEngine.Start(new Dictionary<string, string?>
        {
            ["Cache:Capacity"] = entries.ToString(CultureInfo.InvariantCulture),
            ["Cache:DefaultTtl"] = "01:00:00",
            ["Cache:ValuesInMemoryCache"] = valuesInMemoryCache ? "true" : "false",
        });
        var cache = engine.Cache;

        // As the app runs it: the savings ledger follows the journal from the start.
        var ledger = engine.Services.GetRequiredService<SavingsLedger>();
        var before = Heap();
        for (var i = 0; i < entries; i++)
        {
            var user = users[i];
            await cache.GetAsync<User, User>(keys[i], user, static (u, _) => Task.FromResult<User?>(u));
        }

        ledger.Snapshot();
        var bytes = (Heap() - before) / (double)entries;
        GC.KeepAlive(cache);
        GC.KeepAlive(ledger);
        return bytes;
    }

    private static long Heap()
    {
        GC.Collect(GC.MaxGeneration, GCCollectionMode.Forced, blocking: true, compacting: true);
        GC.WaitForPendingFinalizers();
        return GC.GetTotalMemory(forceFullCollection: true);
    }
}
