namespace QsetDashboard.Data;

/// <summary>A user, the model of the seed's simple and generic demos.</summary>
public sealed class User : CacheableModel;
