using ArFleet.Contracts;
using MassTransit;

namespace ArFleet.CampaignRules;

/// <summary>Applies the campaign rules to a recognised scan, from the in-memory campaign cache: resolve it here, or ask
/// voucher-issuance for a reward. The campaigns of every target in the scan that serve the scanning app compete (the same
/// image registered by two brands, a shelf of logos); the brand whose campaign applied gets the scan, with its own target.</summary>
public sealed class ScanRecognizedConsumer(CampaignCache cache, IConfiguration configuration) : IConsumer<ScanRecognized>
{
    private readonly string lotterySeed = configuration["Rules:LotterySeed"] ?? "arfleet";

    public async Task Consume(ConsumeContext<ScanRecognized> context)
    {
        var scan = context.Message;
        var targets = scan.AllTargets();
        var campaigns = targets
            .SelectMany(t => cache.ForTarget(t.Target.TargetId).Where(c => c.TenantId == t.TenantId))
            .Where(c => c.Serves(scan.AppTenantId))
            .DistinctBy(c => c.CampaignId);
        var all = scan.Targets is null ? null : targets.Select(t => t.Target).ToArray();
        switch (RuleEvaluator.Evaluate(campaigns, new ScanFacts(scan.ScanId, scan.OccurredAt, scan.Location, scan.Fraud, scan.Devices), lotterySeed,
                    cache.IsSpent))
        {
            case RuleDecision.RequestReward(var campaign):
                var r = campaign.Reward;
                await context.Publish(new RewardRequested(
                    scan.ScanId, campaign.TenantId, scan.AppTenantId, campaign.CampaignId, scan.UserId, scan.DeviceId,
                    r.Type == RewardTypes.RedEnvelope
                        ? new RewardTerms(r.Count!.Value, 0, r.Currency ?? "CNY", r.ValidDays ?? 30, r.TotalCents!.Value)
                        : new RewardTerms(r.Budget!.Value, r.ValueCents!.Value, r.Currency!, r.ValidDays!.Value),
                    campaign.ToLimits(scan.OccurredAt), AppliedThrough(campaign, targets).Target, campaign.ToAction(), DateTimeOffset.UtcNow,
                    Shown(campaign, scan), all));
                break;
            case RuleDecision.Resolve(var outcome, var campaign):
                var owned = campaign is null ? targets[0] : AppliedThrough(campaign, targets);
                await context.Publish(new ScanResolved(
                    scan.ScanId, owned.TenantId, scan.AppTenantId, ScanStatus.Resolved, outcome, campaign?.CampaignId,
                    owned.Target, null, campaign?.ToAction(), DateTimeOffset.UtcNow, Fraud: campaign is null ? scan.Fraud : Shown(campaign, scan),
                    Targets: all));
                break;
        }
    }

    private static FraudSignals? Shown(Campaign campaign, ScanRecognized scan) =>
        RuleEvaluator.Shown(campaign.FraudPolicy, RuleEvaluator.Signals(campaign.FraudPolicy, scan.Fraud, scan.Devices));

    /// <summary>The best of the scan's targets that the campaign shows.</summary>
    private static OwnedTarget AppliedThrough(Campaign campaign, OwnedTarget[] targets) =>
        targets.First(t => t.TenantId == campaign.TenantId && campaign.TargetIds.Contains(t.Target.TargetId));
}

public sealed class ScanUnrecognizedConsumer : IConsumer<ScanUnrecognized>
{
    public Task Consume(ConsumeContext<ScanUnrecognized> context)
    {
        var scan = context.Message;
        var (status, outcome) = scan.Reason switch
        {
            UnrecognizedReason.NoMatch => (ScanStatus.Resolved, ScanOutcome.Unrecognized),
            // The frame is gone (the image store lost it or it expired): nothing is wrong with the scan, so the app may send it again.
            UnrecognizedReason.ImageExpired => (ScanStatus.Rejected, ScanOutcome.Failed),
            _ => (ScanStatus.Rejected, ScanOutcome.Unrecognized),
        };
        return context.Publish(new ScanResolved(
            scan.ScanId, scan.TenantId, scan.TenantId, status, outcome, null, null, null, null, DateTimeOffset.UtcNow, scan.Detail));
    }
}

/// <summary>Counts issued rewards so a campaign can report its remaining budget.</summary>
public sealed class RewardIssuedConsumer(CampaignStore store) : IConsumer<RewardIssued>
{
    public Task Consume(ConsumeContext<RewardIssued> context) =>
        store.RecordIssuedAsync(context.Message.ScanId, context.Message.CampaignId, context.CancellationToken);
}
