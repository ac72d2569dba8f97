using ArFleet.Contracts;
using MassTransit;

namespace ArFleet.CampaignRules;

/// <summary>Runs on every instance (a temporary queue each).</summary>
public sealed class CampaignChangedConsumer(CampaignCache cache) : IConsumer<CampaignChanged>
{
    public Task Consume(ConsumeContext<CampaignChanged> context) => cache.ReloadAsync(context.Message.CampaignId, context.CancellationToken);
}
