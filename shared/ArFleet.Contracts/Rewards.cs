using MassTransit;

namespace ArFleet.Contracts;

/// <summary>Campaign rules decided a scan may earn a reward; voucher-issuance decides budget and limits
/// atomically. Target (the campaign's own), Targets (every target recognised, best first) and Action ride along so the
/// terminal ScanResolved can carry them.</summary>
[MessageUrn("arfleet:reward-requested:v1")]
public record RewardRequested(
    Guid ScanId,
    Guid TenantId,
    Guid AppTenantId,
    Guid CampaignId,
    string UserId,
    string DeviceId,
    RewardTerms Terms,
    RewardLimits Limits,
    RecognizedTarget Target,
    CampaignAction? Action,
    DateTimeOffset OccurredAt,
    FraudSignals? Fraud = null,
    RecognizedTarget[]? Targets = null);

[MessageUrn("arfleet:reward-issued:v1")]
public record RewardIssued(
    Guid ScanId,
    Guid TenantId,
    Guid CampaignId,
    string UserId,
    IssuedReward Reward,
    DateTimeOffset OccurredAt);

[MessageUrn("arfleet:reward-denied:v1")]
public record RewardDenied(
    Guid ScanId,
    Guid TenantId,
    Guid CampaignId,
    string UserId,
    RewardDenialReason Reason,
    DateTimeOffset OccurredAt);

public enum RewardDenialReason { BudgetExhausted, LimitReached }

/// <summary>What a campaign gives: Budget vouchers of ValueCents each or, when PoolCents is set, a red-envelope
/// pool of Budget envelopes whose random amounts sum to PoolCents (ValueCents is then unused).</summary>
public record RewardTerms(int Budget, long ValueCents, string Currency, int ValidDays, long? PoolCents = null);

/// <summary>Zero means no limit. DayStartsAt is the start of the scan's day in the campaign's time zone,
/// so the per-day limit resets at local midnight; null means the UTC day.</summary>
public record RewardLimits(int PerUser, int PerDevice, int PerUserPerDay, DateTimeOffset? DayStartsAt = null);

public record IssuedReward(string VoucherCode, long ValueCents, string Currency, DateTimeOffset ExpiresAt);

/// <summary>What the app opens next: an H5 page (Url) or a mini-program page (AppId, Path).</summary>
public record CampaignAction(string Type, string? Url, string? AppId, string? Path);
