using System.Diagnostics;
using ArFleet.Contracts;
using MassTransit;

namespace ArFleet.IsvWebhook;

/// <summary>scan.resolved for the brand's endpoints; the event id is the scan's, so a redelivery enqueues nothing new.</summary>
public sealed class ScanResolvedConsumer(WebhookFanOut fanOut) : IConsumer<ScanResolved>
{
    public Task Consume(ConsumeContext<ScanResolved> context)
    {
        var e = context.Message;
        var body = WebhookEnvelope.Serialize(WebhookEventTypes.ScanResolved, e.OccurredAt,
            new { e.ScanId, e.Status, e.Outcome, e.CampaignId, e.Target, e.Reward, e.Action, e.Fraud });
        return fanOut.EnqueueAsync(e.TenantId, WebhookEventTypes.ScanResolved, $"{WebhookEventTypes.ScanResolved}:{e.ScanId}", body,
            Activity.Current?.Id, context.CancellationToken);
    }
}
