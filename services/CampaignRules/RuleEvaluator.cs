using ArFleet.Contracts;

namespace ArFleet.CampaignRules;

/// <summary>What a recognised scan leads to, before budget and limits (voucher-issuance decides those).</summary>
public abstract record RuleDecision
{
    public sealed record Resolve(ScanOutcome Outcome, Campaign? Campaign) : RuleDecision;
    public sealed record RequestReward(Campaign Campaign) : RuleDecision;
}

public static class RuleEvaluator
{
    private const double EarthRadiusMeters = 6_371_008.8;

    /// <summary>Among the campaigns running at <paramref name="at"/>, the highest priority (then the newest)
    /// whose geo-fence admits the scan wins. A scan without a location is outside every fenced campaign.</summary>
    public static RuleDecision Evaluate(IEnumerable<Campaign> campaigns, DateTimeOffset at, GeoPoint? location)
    {
        var running = campaigns
            .Where(c => c.Status == CampaignStatus.Active && c.StartsAt <= at && at < c.EndsAt)
            .OrderByDescending(c => c.Priority).ThenByDescending(c => c.CreatedAt)
            .ToList();
        if (running.Count == 0) return new RuleDecision.Resolve(ScanOutcome.NoCampaign, null);

        var winner = running.FirstOrDefault(c => IsInside(c.GeoFence, location));
        if (winner is null) return new RuleDecision.Resolve(ScanOutcome.OutsideGeoFence, running[0]);
        return winner.Reward.Type == RewardTypes.None
            ? new RuleDecision.Resolve(ScanOutcome.NoReward, winner)
            : new RuleDecision.RequestReward(winner);
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
}
