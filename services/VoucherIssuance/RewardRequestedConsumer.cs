using ArFleet.Contracts;
using ArFleet.ServiceDefaults;
using MassTransit;

namespace ArFleet.VoucherIssuance;

public sealed class RewardRequestedConsumer(VoucherIssuer issuer) : IConsumer<RewardRequested>
{
    public async Task Consume(ConsumeContext<RewardRequested> context)
    {
        var request = context.Message;
        if (Validate(request) is { } reason) throw new PoisonMessageException(reason);

        var outcome = await issuer.IssueAsync(request, context.CancellationToken);
        var now = DateTimeOffset.UtcNow;
        switch (outcome)
        {
            case VoucherIssuer.Outcome.Issued(var voucher):
                var reward = new IssuedReward(voucher.Code, voucher.ValueCents, voucher.Currency, voucher.ExpiresAt);
                await context.Publish(new RewardIssued(request.ScanId, request.TenantId, request.CampaignId, request.UserId, reward, now));
                await context.Publish(Resolved(request, ScanOutcome.Rewarded, reward, now));
                break;
            case VoucherIssuer.Outcome.Denied(var denial):
                await context.Publish(new RewardDenied(request.ScanId, request.TenantId, request.CampaignId, request.UserId, denial, now));
                await context.Publish(Resolved(request, denial == RewardDenialReason.BudgetExhausted ? ScanOutcome.BudgetExhausted : ScanOutcome.LimitReached,
                    null, now));
                break;
        }
    }

    private static ScanResolved Resolved(RewardRequested r, ScanOutcome outcome, IssuedReward? reward, DateTimeOffset now) =>
        new(r.ScanId, r.TenantId, r.AppTenantId, ScanStatus.Resolved, outcome, r.CampaignId, r.Target, reward, r.Action, now, Fraud: r.Fraud,
            Targets: r.Targets);

    /// <summary>A pool is split into ledger rows in one transaction when the campaign starts.</summary>
    public const int MaxEnvelopes = 1_000_000;

    /// <summary>A request that can never be honoured goes to the error queue with this reason.</summary>
    public static string? Validate(RewardRequested r)
    {
        if (r.CampaignId == Guid.Empty || r.ScanId == Guid.Empty) return "The reward request has no campaign or scan id.";
        if (string.IsNullOrEmpty(r.UserId) || string.IsNullOrEmpty(r.DeviceId)) return "The reward request has no user or device.";
        if (r.UserId.Length > 200 || r.DeviceId.Length > 200) return "The user or device id is longer than 200 characters.";
        if (r.Terms is null || r.Limits is null) return "The reward request has no terms or limits.";
        if (r.Terms.Budget <= 0) return $"Budget {r.Terms.Budget} is not positive.";
        if (r.Terms.PoolCents is { } pool)
        {
            if (r.Terms.Budget > MaxEnvelopes) return $"A pool of {r.Terms.Budget} envelopes is more than {MaxEnvelopes:N0}.";
            if (pool is < 1 or > 100_000_000_000) return $"Pool of {pool} cents is out of range.";
            if (pool < r.Terms.Budget) return $"Pool of {pool} cents cannot give each of {r.Terms.Budget} envelopes a cent.";
        }
        else if (r.Terms.ValueCents is <= 0 or > 100_000_000) return $"Value {r.Terms.ValueCents} cents is out of range.";
        if (r.Terms.Currency is not { Length: 3 } || !r.Terms.Currency.All(char.IsAsciiLetterUpper))
            return $"Currency '{r.Terms.Currency}' is not an ISO 4217 code.";
        if (r.Terms.ValidDays is <= 0 or > 3650) return $"Validity of {r.Terms.ValidDays} days is out of range.";
        return null;
    }
}
