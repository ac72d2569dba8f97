namespace ArFleet.CampaignRules;

public record CampaignRequest(
    string? Name,
    Guid[]? TargetIds,
    DateTimeOffset? StartsAt,
    DateTimeOffset? EndsAt,
    RewardSpec? Reward,
    LimitsSpec? Limits,
    GeoFence? GeoFence,
    ActionSpec? Action,
    int? Priority,
    double? WinProbability = null,
    string? TimeZone = null,
    FraudPolicy? Fraud = null,
    Guid[]? Apps = null);

/// <summary>Checks a campaign request field by field; the first problem found is named with its field.</summary>
public static class CampaignValidator
{
    public record FieldError(string Field, string Message);

    public const int MaxApps = 100;

    public static FieldError? Validate(CampaignRequest r)
    {
        if (string.IsNullOrWhiteSpace(r.Name) || r.Name.Length > 200) return new("name", "a name of 1 to 200 characters is required");
        if (r.TargetIds is not { Length: > 0 }) return new("targetIds", "at least one target id is required");
        if (r.TargetIds.Length > 100) return new("targetIds", "at most 100 targets per campaign");
        if (r.StartsAt is null) return new("startsAt", "is required");
        if (r.EndsAt is null) return new("endsAt", "is required");
        if (r.EndsAt <= r.StartsAt) return new("endsAt", "must be after startsAt");
        if (r.Reward is null) return new("reward", "is required");
        if (ValidateReward(r.Reward) is { } rewardError) return rewardError;
        if (r.Limits is { } l && (l.PerUser < 0 || l.PerDevice < 0 || l.PerUserPerDay < 0))
            return new("limits", "limits must be zero (no limit) or positive");
        if (r.GeoFence is { } g)
        {
            if (g.Lat is < -90 or > 90 || double.IsNaN(g.Lat)) return new("geoFence.lat", "must be between -90 and 90");
            if (g.Lon is < -180 or > 180 || double.IsNaN(g.Lon)) return new("geoFence.lon", "must be between -180 and 180");
            if (g.RadiusMeters is <= 0 or > 20_000_000 || double.IsNaN(g.RadiusMeters)) return new("geoFence.radiusMeters", "must be between 0 and 20,000,000");
        }
        if (r.Action is { } a && ValidateAction(a) is { } actionError) return actionError;
        if (r.WinProbability is { } p && (double.IsNaN(p) || p <= 0 || p > 1))
            return new("winProbability", "must be greater than 0 and at most 1");
        if (r.TimeZone is not null && !RuleEvaluator.IsKnownTimeZone(r.TimeZone))
            return new("timeZone", "must be an IANA time zone such as Asia/Shanghai");
        if (r.Fraud is { Recapture: { } recapture } && !FraudPolicy.Actions.Contains(recapture))
            return new("fraud.recapture", "must be one of: refuse, flag, ignore");
        if (r.Fraud is { DuplicateImage: { } duplicate } && !FraudPolicy.Actions.Contains(duplicate))
            return new("fraud.duplicateImage", "must be one of: refuse, flag, ignore");
        if (r.Fraud is { Devices: { } devices } && !FraudPolicy.Actions.Contains(devices))
            return new("fraud.devices", "must be one of: refuse, flag, ignore");
        if (r.Fraud is { MaxUsersPerDevice: < 1 or > FraudPolicy.MaxCap })
            return new("fraud.maxUsersPerDevice", $"must be between 1 and {FraudPolicy.MaxCap}");
        if (r.Fraud is { MaxDevicesPerUser: < 1 or > FraudPolicy.MaxCap })
            return new("fraud.maxDevicesPerUser", $"must be between 1 and {FraudPolicy.MaxCap}");
        if (r.Apps is { Length: 0 }) return new("apps", "must name at least one app tenant, or be left out to serve every app");
        if (r.Apps is { Length: > MaxApps }) return new("apps", $"at most {MaxApps} apps per campaign");
        return null;
    }

    /// <summary>voucher-issuance splits the whole pool into ledger rows when the campaign's first reward is requested.</summary>
    public const int RedEnvelopeMaxCount = 1_000_000;

    private static FieldError? ValidateReward(RewardSpec reward)
    {
        switch (reward.Type)
        {
            case RewardTypes.Voucher:
                if (reward.Budget is not > 0) return new("reward.budget", "must be greater than 0");
                if (reward.ValueCents is not > 0 || reward.ValueCents > 100_000_000) return new("reward.valueCents", "must be between 1 and 100,000,000");
                if (reward.Currency is null || reward.Currency.Length != 3 || !reward.Currency.All(char.IsAsciiLetterUpper))
                    return new("reward.currency", "must be an ISO 4217 code such as CNY");
                if (reward.ValidDays is not (> 0 and <= 3650)) return new("reward.validDays", "must be between 1 and 3650");
                return null;
            case RewardTypes.RedEnvelope:
                if (reward.Count is not (> 0 and <= RedEnvelopeMaxCount)) return new("reward.count", $"must be between 1 and {RedEnvelopeMaxCount:N0}");
                if (reward.TotalCents is not > 0 || reward.TotalCents > 100_000_000_000)
                    return new("reward.totalCents", "must be between 1 and 100,000,000,000");
                if (reward.TotalCents < reward.Count) return new("reward.totalCents", "must give every envelope at least 1 cent (totalCents >= count)");
                if (reward.Currency is not null && (reward.Currency.Length != 3 || !reward.Currency.All(char.IsAsciiLetterUpper)))
                    return new("reward.currency", "must be an ISO 4217 code such as CNY");
                if (reward.ValidDays is not null and not (> 0 and <= 3650)) return new("reward.validDays", "must be between 1 and 3650");
                return null;
            case RewardTypes.None:
                return null;
            default:
                return new("reward.type", "must be one of: voucher, redEnvelope, none");
        }
    }

    private static FieldError? ValidateAction(ActionSpec action) => action.Type switch
    {
        "h5" when !IsHttpsUrl(action.Url) => new("action.url", "must be an absolute https URL"),
        "h5" => null,
        "miniProgram" when string.IsNullOrWhiteSpace(action.AppId) => new("action.appId", "is required for a mini-program action"),
        "miniProgram" when string.IsNullOrWhiteSpace(action.Path) => new("action.path", "is required for a mini-program action"),
        "miniProgram" => null,
        _ => new("action.type", "must be 'h5' or 'miniProgram'"),
    };

    private static bool IsHttpsUrl(string? url) =>
        Uri.TryCreate(url, UriKind.Absolute, out var uri) && uri.Scheme == Uri.UriSchemeHttps && uri.Host.Length > 0;
}
