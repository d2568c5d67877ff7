namespace Qset.Caching;

/// <summary>Unwraps a <see cref="CacheRead{T}"/> to its value without an async state machine when it is already complete.</summary>
public static class CacheReads
{
    /// <summary>The value of <paramref name="read"/>: synchronously for a completed read (a memory hit), else awaited.</summary>
    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveInlining)]
    public static ValueTask<T?> ValueOf<T>(ValueTask<CacheRead<T>> read)
        where T : class =>
        read.IsCompletedSuccessfully ? new ValueTask<T?>(read.Result.Value) : AwaitValueAsync(read);

    private static async ValueTask<T?> AwaitValueAsync<T>(ValueTask<CacheRead<T>> read)
        where T : class =>
        (await read.ConfigureAwait(false)).Value;
}
