using ArFleet.Contracts;
using MassTransit;

namespace ArFleet.CampaignRules;

/// <summary>Counts the outcome of every scan a campaign applied to, for the campaign's dashboard.</summary>
public sealed class ScanResolvedConsumer(CampaignStatsStore stats) : IConsumer<ScanResolved>
{
    public Task Consume(ConsumeContext<ScanResolved> context) =>
        context.Message.CampaignId is null ? Task.CompletedTask : stats.RecordAsync(context.Message, context.CancellationToken);
}
