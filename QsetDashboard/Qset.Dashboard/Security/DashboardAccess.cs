using Microsoft.AspNetCore.Authorization;

namespace Qset.Dashboard.Security;

/// <summary>The fallback requirement of every endpoint: an open gate, or a caller who proved the token.</summary>
internal sealed class DashboardAccessRequirement : IAuthorizationRequirement;

/// <summary>Grants <see cref="DashboardAccessRequirement"/> when the gate is open or the caller is authenticated.</summary>
internal sealed class DashboardAccessHandler(DashboardGate gate) : AuthorizationHandler<DashboardAccessRequirement>
{
    /// <inheritdoc />
    protected override Task HandleRequirementAsync(AuthorizationHandlerContext context, DashboardAccessRequirement requirement)
    {
        if (gate.IsOpen || context.User.Identity?.IsAuthenticated == true)
        {
            context.Succeed(requirement);
        }

        return Task.CompletedTask;
    }
}
