using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Infrastructure;
using Microsoft.Extensions.DependencyInjection;

namespace Qset.Caching;

/// <summary>How one DbContext's entities are named in the cache.</summary>
public sealed class QsetContextOptions
{
    /// <summary>
    /// The text every key and table name of this context starts with, so that two contexts with a <c>User</c> each never
    /// share a key. Null (the default) means the context's type name and a colon: <c>ShopDb:Product.42</c>.
    /// </summary>
    public string? KeyPrefix { get; set; }
}

/// <summary>Carries <see cref="QsetContextOptions"/> in a DbContext's options, where the interceptors read it back.</summary>
internal sealed class QsetOptionsExtension(string? keyPrefix) : IDbContextOptionsExtension
{
    private DbContextOptionsExtensionInfo? _info;

    public string? KeyPrefix => keyPrefix;

    public DbContextOptionsExtensionInfo Info => _info ??= new ExtensionInfo(this);

    public void ApplyServices(IServiceCollection services)
    {
    }

    public void Validate(IDbContextOptions options)
    {
    }

    /// <summary>The prefix of <paramref name="context"/>'s names: the configured one, else <c>{ContextType}:</c>.</summary>
    public static string PrefixOf(DbContext context)
    {
        var extension = context.GetService<IDbContextOptions>().FindExtension<QsetOptionsExtension>();
        return extension?.KeyPrefix ?? DefaultPrefixes.Of(context.GetType());
    }

    private static class DefaultPrefixes
    {
        private static readonly System.Collections.Concurrent.ConcurrentDictionary<Type, string> s_prefixes = new();

        public static string Of(Type contextType) => s_prefixes.GetOrAdd(contextType, static t => t.Name + ":");
    }

    private sealed class ExtensionInfo(QsetOptionsExtension extension) : DbContextOptionsExtensionInfo(extension)
    {
        public override bool IsDatabaseProvider => false;

        public override string LogFragment => $"QsetCache(KeyPrefix={extension.KeyPrefix ?? "<context name>"}) ";

        // The prefix changes no EF service: every context may share one internal service provider.
        public override int GetServiceProviderHashCode() => 0;

        public override bool ShouldUseSameServiceProvider(DbContextOptionsExtensionInfo other) => other is ExtensionInfo;

        public override void PopulateDebugInfo(IDictionary<string, string> debugInfo) =>
            debugInfo["Qset:KeyPrefix"] = extension.KeyPrefix ?? "";
    }
}
