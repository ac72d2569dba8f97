using ArFleet.Contracts;
using MassTransit;

namespace ArFleet.CampaignRules;

/// <summary>A tenant disabled or enabled: its campaigns leave or rejoin the rule cache. Runs on every instance (a
/// temporary queue each).</summary>
public sealed class TenantStatusChangedConsumer(CampaignCache cache) : IConsumer<TenantStatusChanged>
{
    public Task Consume(ConsumeContext<TenantStatusChanged> context) => cache.LoadAllAsync(context.CancellationToken);
}
