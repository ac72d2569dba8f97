using ArFleet.Contracts;
using MassTransit;

namespace ArFleet.CampaignRules;

/// <summary>Runs on every instance (a temporary queue each): a campaign that answered budgetExhausted yields its scans to
/// the other campaigns that show the same targets (see CampaignCache.IsSpent).</summary>
public sealed class RewardDeniedConsumer(CampaignCache cache) : IConsumer<RewardDenied>
{
    public Task Consume(ConsumeContext<RewardDenied> context)
    {
        if (context.Message.Reason == RewardDenialReason.BudgetExhausted) cache.MarkSpent(context.Message.CampaignId);
        return Task.CompletedTask;
    }
}
