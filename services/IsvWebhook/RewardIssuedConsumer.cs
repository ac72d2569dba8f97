using System.Diagnostics;
using ArFleet.Contracts;
using MassTransit;

namespace ArFleet.IsvWebhook;

/// <summary>voucher.issued for the brand's endpoints; the event id is the scan's, so a redelivery enqueues nothing new.</summary>
public sealed class RewardIssuedConsumer(WebhookFanOut fanOut) : IConsumer<RewardIssued>
{
    public Task Consume(ConsumeContext<RewardIssued> context)
    {
        var e = context.Message;
        var body = WebhookEnvelope.Serialize(WebhookEventTypes.VoucherIssued, e.OccurredAt,
            new { e.ScanId, e.CampaignId, e.UserId, voucher = e.Reward });
        return fanOut.EnqueueAsync(e.TenantId, WebhookEventTypes.VoucherIssued, $"{WebhookEventTypes.VoucherIssued}:{e.ScanId}", body,
            Activity.Current?.Id, context.CancellationToken);
    }
}
