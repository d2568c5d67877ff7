namespace QsetDashboard.Data;

/// <summary>A team, the model of the seed's cacheable-model demo.</summary>
public sealed class Team : CacheableModel;
