using ArFleet.Contracts;
using MassTransit;

namespace ArFleet.ServiceDefaults;

/// <summary>Forgets a revoked key in this instance's key cache. Each instance has its own cache, so each gets every
/// revocation: a temporary queue per instance.</summary>
public sealed class ApiKeyRevokedConsumer(CampaignRulesKeyResolver resolver) : IConsumer<ApiKeyRevoked>
{
    public Task Consume(ConsumeContext<ApiKeyRevoked> context)
    {
        resolver.Forget(context.Message.KeyHash);
        return Task.CompletedTask;
    }
}

public static class ApiKeyRevocations
{
    /// <summary>For the services that authenticate keys through campaign-rules (AddApiKeyAuthenticationFromCampaignRules).</summary>
    public static void AddApiKeyRevocations(this IBusRegistrationConfigurator x) =>
        x.AddConsumer<ApiKeyRevokedConsumer>().Endpoint(e =>
        {
            e.InstanceId = Guid.NewGuid().ToString("N")[..8];
            e.Temporary = true;
        });
}
