using System.Diagnostics;
using ArFleet.Contracts;
using MassTransit;

namespace ArFleet.IsvWebhook;

/// <summary>Turns public domain events into deliveries for the brand's subscribed endpoints. The event id is
/// derived from the scan, so a redelivered event enqueues nothing new.</summary>
public sealed class ScanResolvedConsumer(DeliveryQueue queue) : IConsumer<ScanResolved>
{
    public Task Consume(ConsumeContext<ScanResolved> context)
    {
        var e = context.Message;
        var body = WebhookEndpointApi.Envelope(WebhookEventTypes.ScanResolved, e.OccurredAt,
            new { e.ScanId, e.Status, e.Outcome, e.CampaignId, e.Target, e.Reward, e.Action, e.Fraud });
        return queue.EnqueueAsync(e.TenantId, WebhookEventTypes.ScanResolved, $"{WebhookEventTypes.ScanResolved}:{e.ScanId}", body,
            Activity.Current?.Id, context.CancellationToken);
    }
}

public sealed class RewardIssuedConsumer(DeliveryQueue queue) : IConsumer<RewardIssued>
{
    public Task Consume(ConsumeContext<RewardIssued> context)
    {
        var e = context.Message;
        var body = WebhookEndpointApi.Envelope(WebhookEventTypes.VoucherIssued, e.OccurredAt,
            new { e.ScanId, e.CampaignId, e.UserId, voucher = e.Reward });
        return queue.EnqueueAsync(e.TenantId, WebhookEventTypes.VoucherIssued, $"{WebhookEventTypes.VoucherIssued}:{e.ScanId}", body,
            Activity.Current?.Id, context.CancellationToken);
    }
}

/// <summary>Keeps the brands' grants, so a granted ISV's endpoints receive the brand's events too.</summary>
public sealed class IsvGrantChangedConsumer(DeliveryQueue queue) : IConsumer<IsvGrantChanged>
{
    public Task Consume(ConsumeContext<IsvGrantChanged> context) => queue.RecordGrantAsync(context.Message, context.CancellationToken);
}
