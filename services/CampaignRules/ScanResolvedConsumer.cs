using ArFleet.Contracts;
using MassTransit;

namespace ArFleet.CampaignRules;

/// <summary>Counts the outcome of every scan a campaign applied to, for the campaign's dashboard, its fraud counts and
/// their metric.</summary>
public sealed class ScanResolvedConsumer(CampaignStatsStore stats, CampaignMetrics metrics) : IConsumer<ScanResolved>
{
    public async Task Consume(ConsumeContext<ScanResolved> context)
    {
        if (context.Message.CampaignId is null) return;
        if (await stats.RecordAsync(context.Message, context.CancellationToken)) metrics.Resolved(context.Message);
    }
}
