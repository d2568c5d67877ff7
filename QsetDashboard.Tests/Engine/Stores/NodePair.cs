using QsetDashboard.Tests.Infrastructure;

namespace QsetDashboard.Tests.Engine.Stores;

/// <summary>Two engine-only nodes over one database, sharing a store: B is started after A, and disposed before it.</summary>
internal sealed record NodePair(EngineOnlyHost A, EngineOnlyHost B) : IAsyncDisposable
{
    /// <summary>
    /// Node <paramref name="idA"/>, then node <paramref name="idB"/> over A's database, each with <c>Qset:NodeId</c> set
    /// and the settings <paramref name="configure"/> writes for it (given its id: the shared store and prefix, anything of
    /// its own), and its seams.
    /// </summary>
    public static async Task<NodePair> StartAsync(
        Action<Dictionary<string, string?>, string> configure,
        string idA = "a",
        string idB = "b",
        TestStoreSeams? seamsA = null,
        TestStoreSeams? seamsB = null)
    {
        Action<Dictionary<string, string?>> Node(string id) => s =>
        {
            configure(s, id);
            s["Qset:NodeId"] = id;
        };

        var a = await EngineOnlyHost.StartAsync(Node(idA), seams: seamsA);
        try
        {
            return new NodePair(a, await EngineOnlyHost.StartAsync(Node(idB), sharedConnectionString: a.ConnectionString, seams: seamsB));
        }
        catch
        {
            await a.DisposeAsync();
            throw;
        }
    }

    public async ValueTask DisposeAsync()
    {
        await B.DisposeAsync();
        await A.DisposeAsync();
    }
}
