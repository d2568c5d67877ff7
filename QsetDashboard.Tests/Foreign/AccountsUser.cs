namespace QsetDashboard.Tests.Foreign.Accounts;

/// <summary>A second <c>User</c> type, in another namespace and another context than the sample's.</summary>
public sealed class User
{
    public int Id { get; set; }

    public required string Email { get; set; }
}
