using System.Collections.Concurrent;
using System.Linq.Expressions;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata;
using Microsoft.Extensions.DependencyInjection;

namespace Qset.Caching;

/// <summary>
/// Cache-aside reads by primary key of any entity type of <typeparamref name="TContext"/>, with any key type (int, long,
/// Guid, string, composite): <see cref="FindAsync{TEntity}(object[])"/> takes the same key values as
/// <see cref="DbContext.FindAsync{TEntity}(object[])"/>. A miss loads the row untracked through a context of its own
/// (from <see cref="IDbContextFactory{TContext}"/> when one is registered, else from a new scope), so the caller's context
/// is never shared. The key is <c>{prefix}{Entity}.{key values}</c>; any write to the row through the context's
/// interceptors invalidates it after commit. A cached entity is shared by every reader of its key: treat it as read-only.
/// </summary>
/// <typeparam name="TContext">The DbContext whose entities are read; its options must call <c>UseQsetCache</c>.</typeparam>
public sealed class EntityCache<TContext>
    where TContext : DbContext
{
    private readonly QsetCache _cache;
    private readonly IServiceProvider _services;
    private readonly ContextNames _names;
    private readonly ConcurrentDictionary<Type, EntityShape> _shapes = new();
    private ModelNames? _modelNames;

    /// <summary>Creates the cache over the app's services (resolve it from DI rather than creating it).</summary>
    public EntityCache(QsetCache cache, IServiceProvider services)
    {
        ArgumentNullException.ThrowIfNull(services);
        _cache = cache;
        _services = services;
        _names = services.GetRequiredService<ContextNames>();
    }

    /// <summary>The entity with the primary key <paramref name="keyValues"/>, from the cache or the database; null when there is none.</summary>
    public ValueTask<TEntity?> FindAsync<TEntity>(params object?[]? keyValues)
        where TEntity : class =>
        FindAsync<TEntity>(keyValues, CancellationToken.None);

    /// <summary>As <see cref="FindAsync{TEntity}(object[])"/>, with a token that cancels the wait (not a load other readers share).</summary>
    public ValueTask<TEntity?> FindAsync<TEntity>(object?[]? keyValues, CancellationToken cancellationToken)
        where TEntity : class =>
        CacheReads.ValueOf(ReadAsync<TEntity>(keyValues, cancellationToken));

    /// <summary>As <see cref="FindAsync{TEntity}(object[])"/>, saying whether the cache answered and how long the read took.</summary>
    public ValueTask<CacheRead<TEntity>> ReadAsync<TEntity>(object?[]? keyValues, CancellationToken cancellationToken = default)
        where TEntity : class
    {
        var shape = ShapeOf<TEntity>();
        if (!shape.TryNormalize(keyValues, out var values))
        {
            // As DbContext.Find: a null key value finds nothing.
            return new ValueTask<CacheRead<TEntity>>(new CacheRead<TEntity>(null, false, TimeSpan.Zero));
        }

        return _cache.GetAsync(
            CacheKeys.For(shape.Name, values),
            (Self: this, Shape: shape, Values: values),
            static (s, ct) => s.Self.LoadAsync<TEntity>(s.Shape, s.Values, ct),
            shape.Policy,
            cancellationToken);
    }

    /// <summary>The cache key of the <typeparamref name="TEntity"/> with <paramref name="keyValues"/>, for invalidating or inspecting it.</summary>
    public string KeyOf<TEntity>(params object?[]? keyValues)
        where TEntity : class
    {
        var shape = ShapeOf<TEntity>();
        return shape.TryNormalize(keyValues, out var values)
            ? CacheKeys.For(shape.Name, values)
            : throw new ArgumentException($"A key of {shape.Name} has no null values.", nameof(keyValues));
    }

    /// <summary>The name keys and events give <typeparamref name="TEntity"/> (<c>ShopDb:Product</c>).</summary>
    public string EntityName<TEntity>()
        where TEntity : class =>
        ShapeOf<TEntity>().Name;

    private EntityShape ShapeOf<TEntity>()
        where TEntity : class =>
        _shapes.TryGetValue(typeof(TEntity), out var shape) ? shape : _shapes.GetOrAdd(typeof(TEntity), static (_, self) => self.Describe<TEntity>(), this);

    private EntityShape Describe<TEntity>()
        where TEntity : class
    {
        using var lease = Lease();
        var names = _modelNames ??= _names.Of(lease.Context);
        var type = lease.Context.Model.FindEntityType(typeof(TEntity));
        if (type is null || type.IsOwned())
        {
            throw new InvalidOperationException(
                $"{typeof(TEntity).Name} is not an entity type of {typeof(TContext).Name} that has a key of its own: it cannot be found by key.");
        }

        var key = type.FindPrimaryKey()
            ?? throw new InvalidOperationException($"{typeof(TEntity).Name} is keyless in {typeof(TContext).Name}: it cannot be found by key.");
        var name = names.NameOf(type);
        return new EntityShape(
            name,
            [.. key.Properties.Select(p => (p.Name, p.ClrType))],
            new CacheReadPolicy(name, [new TableDependency(name, TableVersionKind.BulkWrite)]));
    }

    private async Task<TEntity?> LoadAsync<TEntity>(EntityShape shape, object[] values, CancellationToken cancellationToken)
        where TEntity : class
    {
        var entity = Expression.Parameter(typeof(TEntity), "e");
        Expression? match = null;
        for (var i = 0; i < shape.Key.Length; i++)
        {
            var (property, clrType) = shape.Key[i];
            var column = Expression.Call(typeof(EF), nameof(EF.Property), [clrType], entity, Expression.Constant(property));

            // A field of an object, not a constant: EF sends it as a parameter, so every id shares one compiled query.
            var holder = Activator.CreateInstance(typeof(KeyValue<>).MakeGenericType(clrType), values[i])!;
            var value = Expression.Field(Expression.Constant(holder), "Value");
            var equal = Expression.Equal(column, value);
            match = match is null ? equal : Expression.AndAlso(match, equal);
        }

        var predicate = Expression.Lambda<Func<TEntity, bool>>(match!, entity);
        using var lease = Lease();
        return await lease.Context.Set<TEntity>().AsNoTracking().Where(predicate).SingleOrDefaultAsync(cancellationToken).ConfigureAwait(false);
    }

    private ContextLease Lease()
    {
        if (_services.GetService<IDbContextFactory<TContext>>() is { } factory)
        {
            return new ContextLease(factory.CreateDbContext(), null);
        }

        var scope = _services.CreateScope();
        return new ContextLease(scope.ServiceProvider.GetRequiredService<TContext>(), scope);
    }

    private readonly struct ContextLease(TContext context, IServiceScope? scope) : IDisposable
    {
        public TContext Context => context;

        public void Dispose()
        {
            if (scope is null)
            {
                context.Dispose();
            }
            else
            {
                scope.Dispose();
            }
        }
    }

    private sealed record EntityShape(string Name, (string Property, Type ClrType)[] Key, CacheReadPolicy Policy)
    {
        /// <summary>The key values checked as DbContext.Find checks them: one per key property, each of the property's type.</summary>
        public bool TryNormalize(object?[]? keyValues, out object[] values)
        {
            values = [];
            if (keyValues is null)
            {
                return false;
            }

            if (keyValues.Length != Key.Length)
            {
                throw new ArgumentException(
                    $"{Name} has a key of {Key.Length} value(s) ({string.Join(", ", Key.Select(k => k.Property))}), but {keyValues.Length} were given.",
                    nameof(keyValues));
            }

            for (var i = 0; i < keyValues.Length; i++)
            {
                if (keyValues[i] is null)
                {
                    return false;
                }

                var expected = Nullable.GetUnderlyingType(Key[i].ClrType) ?? Key[i].ClrType;
                if (keyValues[i]!.GetType() != expected)
                {
                    throw new ArgumentException(
                        $"The key value at position {i} for {Name} is a {keyValues[i]!.GetType().Name}, but its property {Key[i].Property} is a {expected.Name}.",
                        nameof(keyValues));
                }
            }

            values = keyValues!;
            return true;
        }
    }
}

/// <summary>One key value, as a field: EF reads a field of an object as a query parameter, not a constant.</summary>
internal sealed class KeyValue<T>(T value)
{
#pragma warning disable SA1401, CA1051 // A field, so that the expression reads it as EF's parameter.
    public readonly T Value = value;
#pragma warning restore SA1401, CA1051
}
