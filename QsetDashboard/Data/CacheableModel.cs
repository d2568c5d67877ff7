namespace QsetDashboard.Data;

/// <summary>
/// Base class of the entities that the cacheable-model style serves, the C# counterpart of the seed's
/// <c>CacheableModel(models.Model)</c>. It holds no service: the cache is reached through
/// <c>ModelCache&lt;TModel&gt;</c>, whose type argument picks the table and the key prefix.
/// </summary>
public abstract class CacheableModel
{
    /// <summary>The primary key, chosen by the caller (the seed's demos use id=1).</summary>
    public int Id { get; set; }

    /// <summary>The entity's name: required, 1–100 characters.</summary>
    public required string Name { get; set; }

    /// <summary>The name of the entity type as it appears in cache keys (<c>User.1</c>).</summary>
    [System.Text.Json.Serialization.JsonIgnore]
    public string EntityType => GetType().Name;

    /// <inheritdoc />
    public override string ToString() => $"{EntityType} id={Id} name={Name}";
}
