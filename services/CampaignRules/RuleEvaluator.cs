using System.Buffers.Binary;
using System.Security.Cryptography;
using System.Text;
using ArFleet.Contracts;

namespace ArFleet.CampaignRules;

/// <summary>What a recognised scan leads to, before budget and limits (voucher-issuance decides those).</summary>
public abstract record RuleDecision
{
    public sealed record Resolve(ScanOutcome Outcome, Campaign? Campaign) : RuleDecision;
    public sealed record RequestReward(Campaign Campaign) : RuleDecision;
}

/// <summary>The scan as rules see it; Fraud is what recognition found suspicious in it, Devices who scans from where.</summary>
public record ScanFacts(Guid ScanId, DateTimeOffset At, GeoPoint? Location, FraudSignals? Fraud = null, DeviceActivity? Devices = null);

public static class RuleEvaluator
{
    private const double EarthRadiusMeters = 6_371_008.8;

    /// <summary>Among the campaigns running at the scan's time, the highest priority (then the newest) whose
    /// geo-fence admits the scan wins; a scan without a location is outside every fenced campaign. Campaigns that
    /// <paramref name="isSpent"/> says have spent their budgets come after all the others: they win only when no other
    /// admits the scan. A lottery campaign then draws: the draw is a pure function of the scan and
    /// <paramref name="lotterySeed"/>, so a redelivered scan draws the same and tests can fix the outcome.</summary>
    public static RuleDecision Evaluate(IEnumerable<Campaign> campaigns, ScanFacts scan, string lotterySeed, Func<Campaign, bool>? isSpent = null)
    {
        var running = campaigns
            .Where(c => c.Status == CampaignStatus.Active && c.StartsAt <= scan.At && scan.At < c.EndsAt)
            .OrderBy(c => isSpent?.Invoke(c) == true).ThenByDescending(c => c.Priority).ThenByDescending(c => c.CreatedAt)
            .ToList();
        if (running.Count == 0) return new RuleDecision.Resolve(ScanOutcome.NoCampaign, null);

        var winner = running.FirstOrDefault(c => IsInside(c.GeoFence, scan.Location));
        if (winner is null) return new RuleDecision.Resolve(ScanOutcome.OutsideGeoFence, running[0]);
        if (Refusal(winner.FraudPolicy, Signals(winner.FraudPolicy, scan.Fraud, scan.Devices)) is { } refused)
            return new RuleDecision.Resolve(refused, winner);
        if (winner.Reward.Type == RewardTypes.None || !Draw(lotterySeed, scan.ScanId, winner.WinProbability))
            return new RuleDecision.Resolve(ScanOutcome.NoReward, winner);
        return new RuleDecision.RequestReward(winner);
    }

    /// <summary>The outcome of a scan the campaign's fraud policy refuses, or null: an image another user or device sent
    /// before (duplicateImage), then a suspected recapture, then a device or user over the campaign's caps (limitReached,
    /// since they are limits on who may scan from where).</summary>
    public static ScanOutcome? Refusal(FraudPolicy policy, FraudSignals? fraud)
    {
        if (fraud is null) return null;
        if (policy.DuplicateImage == FraudPolicy.Refuse && fraud.Reasons.Contains(FraudSignals.DuplicateImage)) return ScanOutcome.DuplicateImage;
        if (policy.Recapture == FraudPolicy.Refuse && fraud.Reasons.Contains(FraudSignals.Recapture)) return ScanOutcome.SuspectedRecapture;
        if (policy.Devices == FraudPolicy.Refuse && fraud.Reasons.Any(IsDeviceReason)) return ScanOutcome.LimitReached;
        return null;
    }

    /// <summary>Recognition's signals with the device reasons the campaign's caps give (unless its policy ignores devices):
    /// sharedDevice when more users than MaxUsersPerDevice scanned from the device, manyDevices when the user scanned from
    /// more devices than MaxDevicesPerUser.</summary>
    public static FraudSignals? Signals(FraudPolicy policy, FraudSignals? fraud, DeviceActivity? devices)
    {
        if (devices is null || policy.Devices == FraudPolicy.Ignore) return fraud;
        string[] reasons = [
            .. devices.UsersOnDevice > policy.MaxUsersPerDevice ? [FraudSignals.SharedDevice] : Array.Empty<string>(),
            .. devices.DevicesOfUser > policy.MaxDevicesPerUser ? [FraudSignals.ManyDevices] : Array.Empty<string>(),
        ];
        if (reasons.Length == 0) return fraud;
        return fraud is null ? new FraudSignals(null, reasons) : fraud with { Reasons = [.. fraud.Reasons, .. reasons] };
    }

    private static bool IsDeviceReason(string reason) => reason is FraudSignals.SharedDevice or FraudSignals.ManyDevices;

    /// <summary>The signals the scan's result and webhook show under the policy: a signal the campaign ignores is left out
    /// (the recapture score and its cues, or duplicateImage); without a campaign, all of them.</summary>
    public static FraudSignals? Shown(FraudPolicy? policy, FraudSignals? fraud)
    {
        if (fraud is null || policy is null) return fraud;
        var recapture = policy.Recapture != FraudPolicy.Ignore;
        var duplicate = policy.DuplicateImage != FraudPolicy.Ignore;
        var reasons = fraud.Reasons.Where(r => r == FraudSignals.DuplicateImage ? duplicate : IsDeviceReason(r) || recapture).ToArray();
        return recapture ? fraud with { Reasons = reasons } : reasons.Length == 0 ? null : new FraudSignals(null, reasons);
    }

    /// <summary>True with the given probability, decided by a hash of the seed and the scan id.</summary>
    public static bool Draw(string seed, Guid scanId, double probability)
    {
        if (probability >= 1) return true;
        if (probability <= 0) return false;
        var hash = SHA256.HashData(Encoding.UTF8.GetBytes($"{seed}:{scanId:N}"));
        var uniform = (BinaryPrimitives.ReadUInt64BigEndian(hash) >> 11) * (1.0 / (1UL << 53));
        return uniform < probability;
    }

    public static bool IsInside(GeoFence? fence, GeoPoint? location) =>
        fence is null || (location is not null && DistanceMeters(fence.Lat, fence.Lon, location.Lat, location.Lon) <= fence.RadiusMeters);

    /// <summary>Great-circle distance by the haversine formula.</summary>
    public static double DistanceMeters(double lat1, double lon1, double lat2, double lon2)
    {
        static double Radians(double degrees) => degrees * Math.PI / 180;
        var dLat = Radians(lat2 - lat1);
        var dLon = Radians(lon2 - lon1);
        var a = Math.Pow(Math.Sin(dLat / 2), 2) + Math.Cos(Radians(lat1)) * Math.Cos(Radians(lat2)) * Math.Pow(Math.Sin(dLon / 2), 2);
        return 2 * EarthRadiusMeters * Math.Asin(Math.Min(1, Math.Sqrt(a)));
    }

    /// <summary>Local midnight of the day <paramref name="at"/> falls on in the time zone, as an instant.</summary>
    public static DateTimeOffset DayStart(DateTimeOffset at, string timeZone)
    {
        var zone = TimeZoneInfo.FindSystemTimeZoneById(timeZone);
        var local = TimeZoneInfo.ConvertTime(at, zone);
        var midnight = local.Date;
        // A zone that skips midnight (a DST jump at 00:00) starts its day at the first valid instant.
        while (zone.IsInvalidTime(midnight)) midnight = midnight.AddMinutes(15);
        return new DateTimeOffset(midnight, zone.GetUtcOffset(midnight)).ToUniversalTime();
    }

    public static bool IsKnownTimeZone(string? timeZone) => timeZone is not null && TimeZoneInfo.TryFindSystemTimeZoneById(timeZone, out _);
}
