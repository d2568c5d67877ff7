using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace QsetDashboard.Data;

/// <summary>The mapping every cacheable entity shares: a caller-chosen key and a bounded, required name.</summary>
internal abstract class CacheableModelConfiguration<TModel> : IEntityTypeConfiguration<TModel>
    where TModel : CacheableModel
{
    public virtual void Configure(EntityTypeBuilder<TModel> builder)
    {
        builder.HasKey(m => m.Id);
        builder.Property(m => m.Id).ValueGeneratedNever();
        builder.Property(m => m.Name).IsRequired().HasMaxLength(ModelRules.NameMaxLength);
        builder.Ignore(m => m.EntityType);
    }
}

internal sealed class UserConfiguration : CacheableModelConfiguration<User>
{
    public override void Configure(EntityTypeBuilder<User> builder)
    {
        base.Configure(builder);
        builder.ToTable("Users");
    }
}

internal sealed class TeamConfiguration : CacheableModelConfiguration<Team>
{
    public override void Configure(EntityTypeBuilder<Team> builder)
    {
        base.Configure(builder);
        builder.ToTable("Teams");
    }
}
