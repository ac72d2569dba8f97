using ArFleet.CampaignRules;
using ArFleet.Contracts;

namespace ArFleet.UnitTests;

public class RuleEvaluatorTests
{
    private static readonly DateTimeOffset Start = new(2026, 2, 1, 0, 0, 0, TimeSpan.Zero);
    private static readonly DateTimeOffset End = Start.AddDays(7);
    private static readonly GeoPoint Bund = new(31.2400, 121.4900);

    private static Campaign Campaign(int priority = 0, DateTimeOffset? created = null, GeoFence? fence = null, string reward = RewardTypes.Voucher) =>
        new(Guid.NewGuid(), Guid.NewGuid(), "c", CampaignStatus.Active, [Guid.NewGuid()], Start, End, priority,
            new RewardSpec(reward, 10, 500, "CNY", 30, null, null), new LimitsSpec(1, 0, 0), fence, null, created ?? Start);

    [Fact]
    public void The_window_includes_its_start_and_excludes_its_end()
    {
        var campaign = Campaign();
        Assert.IsType<RuleDecision.RequestReward>(RuleEvaluator.Evaluate([campaign], Start, null));
        Assert.IsType<RuleDecision.RequestReward>(RuleEvaluator.Evaluate([campaign], End.AddTicks(-1), null));
        Assert.Equal(ScanOutcome.NoCampaign, Assert.IsType<RuleDecision.Resolve>(RuleEvaluator.Evaluate([campaign], End, null)).Outcome);
        Assert.Equal(ScanOutcome.NoCampaign, Assert.IsType<RuleDecision.Resolve>(RuleEvaluator.Evaluate([campaign], Start.AddTicks(-1), null)).Outcome);
    }

    [Fact]
    public void The_geo_fence_admits_scans_up_to_its_radius_and_none_without_a_location()
    {
        var campaign = Campaign(fence: new GeoFence(Bund.Lat, Bund.Lon, 500));
        // 0.0044° of latitude is about 489 m, 0.0046° about 511 m.
        Assert.IsType<RuleDecision.RequestReward>(RuleEvaluator.Evaluate([campaign], Start, new GeoPoint(Bund.Lat + 0.0044, Bund.Lon)));
        Assert.Equal(ScanOutcome.OutsideGeoFence, Assert.IsType<RuleDecision.Resolve>(RuleEvaluator.Evaluate([campaign], Start, new GeoPoint(Bund.Lat + 0.0046, Bund.Lon))).Outcome);
        Assert.Equal(ScanOutcome.OutsideGeoFence, Assert.IsType<RuleDecision.Resolve>(RuleEvaluator.Evaluate([campaign], Start, null)).Outcome);
    }

    [Fact]
    public void Great_circle_distance_matches_a_known_value()
    {
        // Shanghai People's Square to Beijing Tiananmen: about 1,067 km.
        Assert.InRange(RuleEvaluator.DistanceMeters(31.2304, 121.4737, 39.9087, 116.3975), 1_060_000, 1_075_000);
    }

    [Fact]
    public void Priority_wins_then_the_newest_campaign()
    {
        var low = Campaign(priority: 1, created: Start.AddHours(5));
        var high = Campaign(priority: 2, created: Start);
        var newerHigh = Campaign(priority: 2, created: Start.AddHours(1));
        var decision = Assert.IsType<RuleDecision.RequestReward>(RuleEvaluator.Evaluate([low, high, newerHigh], Start.AddDays(1), null));
        Assert.Same(newerHigh, decision.Campaign);
    }

    [Fact]
    public void A_campaign_without_reward_resolves_with_its_action()
    {
        var campaign = Campaign(reward: RewardTypes.None);
        var decision = Assert.IsType<RuleDecision.Resolve>(RuleEvaluator.Evaluate([campaign], Start, null));
        Assert.Equal(ScanOutcome.NoReward, decision.Outcome);
        Assert.Same(campaign, decision.Campaign);
    }
}
