using MassTransit;

namespace ArFleet.Contracts;

// Every event lives here once. MassTransit routes by message URN, so the URN (not the CLR name)
// is the wire contract: a breaking change gets a new record with a new version suffix.

/// <summary>A consumer app submitted a camera frame; the image waits in the claim-check store.</summary>
[MessageUrn("arfleet:scan-submitted:v1")]
public record ScanSubmitted(
    Guid ScanId,
    Guid TenantId,
    string UserId,
    string DeviceId,
    GeoPoint? Location,
    string ImageKey,
    DateTimeOffset OccurredAt);

/// <summary>Recognition found a registered target in the frame. Target is the best one and TenantId the brand owning it;
/// Targets holds every target recognised, best first, with the brand of each (null from workers older than multiple targets).</summary>
[MessageUrn("arfleet:scan-recognized:v1")]
public record ScanRecognized(
    Guid ScanId,
    Guid TenantId,
    Guid AppTenantId,
    string UserId,
    string DeviceId,
    GeoPoint? Location,
    RecognizedTarget Target,
    DateTimeOffset OccurredAt,
    FraudSignals? Fraud = null,
    OwnedTarget[]? Targets = null,
    DeviceActivity? Devices = null)
{
    /// <summary>Every target recognised, best first. A method, not a property, so that it is not serialized into the message.</summary>
    public OwnedTarget[] AllTargets() => Targets ?? [new OwnedTarget(TenantId, Target)];
}

/// <summary>Over the last day, for the scan's best target and app: how many distinct users scanned it from this device, and
/// from how many distinct devices this user did (each including this scan). Campaign-rules compares them with the
/// campaign's caps.</summary>
public record DeviceActivity(int UsersOnDevice, int DevicesOfUser);

/// <summary>A recognised target and the brand that registered it.</summary>
public record OwnedTarget(Guid TenantId, RecognizedTarget Target);

/// <summary>No registered target in the frame, or the frame could not be used (Reason says which).</summary>
[MessageUrn("arfleet:scan-unrecognized:v1")]
public record ScanUnrecognized(
    Guid ScanId,
    Guid TenantId,
    UnrecognizedReason Reason,
    string? Detail,
    DateTimeOffset OccurredAt);

/// <summary>The terminal event of a scan: what the app shows. TenantId is the brand whose campaign applied, else the brand
/// of the best target recognised, else the app tenant; Target is that brand's target (the one its campaign applied
/// through), and Targets every target recognised, best first (null when none, or from senders older than multiple targets:
/// then Target is the only one). Detail says, for a failed or rejected scan, what the app can do about it.</summary>
[MessageUrn("arfleet:scan-resolved:v1")]
public record ScanResolved(
    Guid ScanId,
    Guid TenantId,
    Guid AppTenantId,
    ScanStatus Status,
    ScanOutcome Outcome,
    Guid? CampaignId,
    RecognizedTarget? Target,
    IssuedReward? Reward,
    CampaignAction? Action,
    DateTimeOffset OccurredAt,
    string? Detail = null,
    FraudSignals? Fraud = null,
    RecognizedTarget[]? Targets = null);

public record GeoPoint(double Lat, double Lon);

/// <summary>What recognition found suspicious in a recognised scan. RecaptureScore is 0-1 (null when the scan cannot tell
/// whether it is a photo of a screen or a print; Reasons then says why, e.g. tooSmallToJudge). Reasons holds Recapture when
/// the score passed recognition's threshold, DuplicateImage when another user or device already sent a near-identical image
/// of the target, and the cues behind them (periodicPattern, colourMoire, bezel...).</summary>
public record FraudSignals(double? RecaptureScore, string[] Reasons)
{
    public const string Recapture = "recapture";
    public const string DuplicateImage = "duplicateImage";
    /// <summary>The device was used by more users than the campaign allows (fraud.maxUsersPerDevice).</summary>
    public const string SharedDevice = "sharedDevice";
    /// <summary>The user scanned from more devices than the campaign allows (fraud.maxDevicesPerUser).</summary>
    public const string ManyDevices = "manyDevices";
}

/// <summary>Corners are the target's four corners in query-image pixels, clockwise from top-left.</summary>
public record RecognizedTarget(Guid TargetId, double Confidence, double[][] Corners);

public enum UnrecognizedReason { NoMatch, InvalidImage, ImageExpired }

public enum ScanStatus { Processing, Resolved, Rejected }

public enum ScanOutcome
{
    Rewarded,
    NoReward,
    BudgetExhausted,
    LimitReached,
    OutsideGeoFence,
    NoCampaign,
    Unrecognized,
    SuspectedRecapture,
    /// <summary>Another user or device already sent a near-identical image of the target in this campaign.</summary>
    DuplicateImage,
    /// <summary>The scan could not be completed (its image expired, or it passed its deadline); the app may scan again.</summary>
    Failed,
}
