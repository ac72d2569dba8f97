using ArFleet.Contracts;

namespace ArFleet.CampaignRules;

/// <summary>The reward as the API states it. Only the fields of its Type are set.</summary>
public record RewardSpec(string? Type, int? Budget, long? ValueCents, string? Currency, int? ValidDays, long? TotalCents, int? Count);

public record LimitsSpec(int? PerUser, int? PerDevice, int? PerUserPerDay);

public record GeoFence(double Lat, double Lon, double RadiusMeters);

public record ActionSpec(string? Type, string? Url, string? AppId, string? Path);

/// <summary>What a campaign does with a scan recognition suspects (see FraudSignals): refuse it, flag it (reward it, with the
/// signals in the result and webhook) or ignore the signal. Recaptures and duplicate images are refused by default; a device
/// used by more than MaxUsersPerDevice users, or a user on more than MaxDevicesPerUser devices, in a day (Devices) is
/// flagged by default, since a family may share a phone.</summary>
public record FraudPolicy(string? Recapture, string? DuplicateImage, string? Devices = null, int? MaxUsersPerDevice = null, int? MaxDevicesPerUser = null)
{
    public const string Refuse = "refuse", Flag = "flag", Ignore = "ignore";
    public static readonly string[] Actions = [Refuse, Flag, Ignore];
    public const int DefaultMaxUsersPerDevice = 5, DefaultMaxDevicesPerUser = 5, MaxCap = 1000;
    public static readonly FraudPolicy Default = new FraudPolicy(null, null).Effective();

    /// <summary>The policy with every unset field at its default.</summary>
    public FraudPolicy Effective() => new(Recapture ?? Refuse, DuplicateImage ?? Refuse, Devices ?? Flag,
        MaxUsersPerDevice ?? DefaultMaxUsersPerDevice, MaxDevicesPerUser ?? DefaultMaxDevicesPerUser);
}

public static class RewardTypes
{
    public const string Voucher = "voucher";
    public const string RedEnvelope = "redEnvelope";
    public const string None = "none";
}

public static class CampaignStatus
{
    public const string Active = "active";
    public const string Paused = "paused";
    public const string Ended = "ended";
}

/// <summary>A campaign as stored, which is what rule evaluation reads. WinProbability below 1 makes it a lottery;
/// TimeZone (IANA) is where its days begin for the per-day limit; Apps, when set, the only app tenants it serves.</summary>
public record Campaign(
    Guid CampaignId,
    Guid TenantId,
    string Name,
    string Status,
    Guid[] TargetIds,
    DateTimeOffset StartsAt,
    DateTimeOffset EndsAt,
    int Priority,
    RewardSpec Reward,
    LimitsSpec Limits,
    GeoFence? GeoFence,
    ActionSpec? Action,
    DateTimeOffset CreatedAt,
    double WinProbability = 1,
    string TimeZone = "UTC",
    FraudPolicy? Fraud = null,
    Guid[]? Apps = null)
{
    /// <summary>Whether the app may serve this campaign: Apps names the app tenants that may; null means every app.</summary>
    public bool Serves(Guid appTenantId) => Apps is null || Apps.Contains(appTenantId);

    public FraudPolicy FraudPolicy => Fraud?.Effective() ?? FraudPolicy.Default;

    /// <summary>How many rewards it can give in all (vouchers, or envelopes of a pool); null when it gives none.</summary>
    public int? Budget => Reward.Type switch
    {
        RewardTypes.Voucher => Reward.Budget,
        RewardTypes.RedEnvelope => Reward.Count,
        _ => null,
    };

    public CampaignAction? ToAction() => Action is null ? null : new CampaignAction(Action.Type!, Action.Url, Action.AppId, Action.Path);

    public RewardLimits ToLimits(DateTimeOffset scannedAt) =>
        new(Limits.PerUser ?? 0, Limits.PerDevice ?? 0, Limits.PerUserPerDay ?? 0, RuleEvaluator.DayStart(scannedAt, TimeZone));
}
