using ArFleet.Contracts;

namespace ArFleet.Ingest;

/// <summary>A scan as the app sees it (docs/api.md), plus the app tenant that owns it. Target is the best of Targets.</summary>
public record ScanRecord(
    Guid ScanId,
    Guid AppTenantId,
    ScanStatus Status,
    ScanOutcome? Outcome,
    RecognizedTarget? Target,
    IssuedReward? Reward,
    CampaignAction? Action,
    string? TraceId,
    DateTimeOffset CreatedAt,
    DateTimeOffset? ResolvedAt,
    Guid? CampaignId = null,
    string? Detail = null,
    FraudSignals? Fraud = null,
    RecognizedTarget[]? Targets = null);

/// <summary>What the app sent, kept with the scan so that ScanSubmitted can be sent again until the broker confirms it.</summary>
public record ScanRequest(Guid AppTenantId, string? IdempotencyKey, string UserId, string DeviceId, GeoPoint? Location, string ImageKey)
{
    public ScanSubmitted ToEvent(Guid scanId, DateTimeOffset createdAt) =>
        new(scanId, AppTenantId, UserId, DeviceId, Location, ImageKey, createdAt);
}

/// <summary>The scan that claimed an Idempotency-Key, and the hash of the request it was claimed with (none on scans
/// stored before requests were bound to their keys).</summary>
public record IdempotencyClaim(Guid ScanId, byte[]? RequestHash)
{
    /// <summary>True when <paramref name="requestHash"/> is the same request again: a retry.</summary>
    public bool IsRetryOf(byte[] requestHash) =>
        RequestHash is null || System.Security.Cryptography.CryptographicOperations.FixedTimeEquals(RequestHash, requestHash);
}
