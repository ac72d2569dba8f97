using ArFleet.CampaignRules;
using ArFleet.Contracts;

namespace ArFleet.UnitTests;

public class RuleEvaluatorTests
{
    private const string Seed = "test-seed";
    private static readonly DateTimeOffset Start = new(2026, 2, 1, 0, 0, 0, TimeSpan.Zero);
    private static readonly DateTimeOffset End = Start.AddDays(7);
    private static readonly GeoPoint Bund = new(31.2400, 121.4900);

    private static Campaign Campaign(int priority = 0, DateTimeOffset? created = null, GeoFence? fence = null, string reward = RewardTypes.Voucher,
        double winProbability = 1, string status = CampaignStatus.Active) =>
        new(Guid.NewGuid(), Guid.NewGuid(), "c", status, [Guid.NewGuid()], Start, End, priority,
            new RewardSpec(reward, 10, 500, "CNY", 30, null, null), new LimitsSpec(1, 0, 0), fence, null, created ?? Start, winProbability);

    private static RuleDecision Evaluate(Campaign[] campaigns, DateTimeOffset at, GeoPoint? location = null, Guid? scanId = null) =>
        RuleEvaluator.Evaluate(campaigns, new ScanFacts(scanId ?? Guid.NewGuid(), at, location), Seed);

    private static ScanOutcome Outcome(RuleDecision decision) => Assert.IsType<RuleDecision.Resolve>(decision).Outcome;

    [Fact]
    public void The_window_includes_its_start_and_excludes_its_end()
    {
        var campaign = Campaign();
        Assert.IsType<RuleDecision.RequestReward>(Evaluate([campaign], Start));
        Assert.IsType<RuleDecision.RequestReward>(Evaluate([campaign], End.AddTicks(-1)));
        Assert.Equal(ScanOutcome.NoCampaign, Outcome(Evaluate([campaign], End)));
        Assert.Equal(ScanOutcome.NoCampaign, Outcome(Evaluate([campaign], Start.AddTicks(-1))));
    }

    [Theory]
    [InlineData(CampaignStatus.Paused)]
    [InlineData(CampaignStatus.Ended)]
    public void A_paused_or_ended_campaign_gives_nothing(string status) =>
        Assert.Equal(ScanOutcome.NoCampaign, Outcome(Evaluate([Campaign(status: status)], Start.AddHours(1))));

    [Fact]
    public void The_geo_fence_admits_scans_up_to_its_radius_and_none_without_a_location()
    {
        var campaign = Campaign(fence: new GeoFence(Bund.Lat, Bund.Lon, 500));
        // 0.0044° of latitude is about 489 m, 0.0046° about 511 m.
        Assert.IsType<RuleDecision.RequestReward>(Evaluate([campaign], Start, new GeoPoint(Bund.Lat + 0.0044, Bund.Lon)));
        Assert.Equal(ScanOutcome.OutsideGeoFence, Outcome(Evaluate([campaign], Start, new GeoPoint(Bund.Lat + 0.0046, Bund.Lon))));
        Assert.Equal(ScanOutcome.OutsideGeoFence, Outcome(Evaluate([campaign], Start)));
    }

    [Fact]
    public void A_fenced_campaign_a_scan_is_outside_of_yields_to_an_unfenced_one()
    {
        var fenced = Campaign(priority: 5, fence: new GeoFence(Bund.Lat, Bund.Lon, 100));
        var everywhere = Campaign(priority: 1);
        var decision = Assert.IsType<RuleDecision.RequestReward>(Evaluate([fenced, everywhere], Start, new GeoPoint(0, 0)));
        Assert.Same(everywhere, decision.Campaign);
    }

    [Fact]
    public void A_campaign_that_spent_its_budget_yields_to_the_others_and_wins_only_when_none_is_left()
    {
        var spentFirst = Campaign(priority: 9);
        var next = Campaign(priority: 1);
        bool IsSpent(Campaign c) => c == spentFirst;
        var decision = RuleEvaluator.Evaluate([spentFirst, next], new ScanFacts(Guid.NewGuid(), Start, null), Seed, IsSpent);
        Assert.Same(next, Assert.IsType<RuleDecision.RequestReward>(decision).Campaign);

        // Alone, it still takes the scan: voucher-issuance answers budgetExhausted (the spent mark is only a hint).
        decision = RuleEvaluator.Evaluate([spentFirst], new ScanFacts(Guid.NewGuid(), Start, null), Seed, IsSpent);
        Assert.Same(spentFirst, Assert.IsType<RuleDecision.RequestReward>(decision).Campaign);
    }

    [Fact]
    public void A_campaign_naming_its_apps_serves_only_them_and_one_naming_none_serves_every_app()
    {
        var (appA, appB) = (Guid.NewGuid(), Guid.NewGuid());
        var scoped = Campaign() with { Apps = [appA] };
        Assert.True(scoped.Serves(appA));
        Assert.False(scoped.Serves(appB));
        Assert.True(Campaign().Serves(appB));
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
        var decision = Assert.IsType<RuleDecision.RequestReward>(Evaluate([low, high, newerHigh], Start.AddDays(1)));
        Assert.Same(newerHigh, decision.Campaign);
    }

    [Fact]
    public void A_campaign_without_reward_resolves_with_its_action()
    {
        var campaign = Campaign(reward: RewardTypes.None);
        var decision = Assert.IsType<RuleDecision.Resolve>(Evaluate([campaign], Start));
        Assert.Equal(ScanOutcome.NoReward, decision.Outcome);
        Assert.Same(campaign, decision.Campaign);
    }

    [Fact]
    public void A_lottery_draws_the_same_for_the_same_scan_and_wins_at_its_probability()
    {
        var lottery = Campaign(winProbability: 0.2);
        var scans = Enumerable.Range(0, 20_000).Select(_ => Guid.NewGuid()).ToArray();
        var wins = scans.Count(id => Evaluate([lottery], Start, scanId: id) is RuleDecision.RequestReward);
        Assert.InRange(wins / 20_000.0, 0.18, 0.22);
        Assert.All(scans.Take(100), id => Assert.Equal(
            Evaluate([lottery], Start, scanId: id).GetType(), Evaluate([lottery], Start, scanId: id).GetType()));
        var loser = scans.First(id => !RuleEvaluator.Draw(Seed, id, 0.2));
        var lost = Assert.IsType<RuleDecision.Resolve>(Evaluate([lottery], Start, scanId: loser));
        Assert.Equal(ScanOutcome.NoReward, lost.Outcome);
        Assert.Same(lottery, lost.Campaign);
    }

    [Fact]
    public void A_day_starts_at_local_midnight_of_the_campaigns_time_zone()
    {
        // 2026-02-01 15:59:59Z is 23:59:59 in Shanghai (UTC+8); a second later the next day begins there.
        var lateEvening = new DateTimeOffset(2026, 2, 1, 15, 59, 59, TimeSpan.Zero);
        Assert.Equal(new DateTimeOffset(2026, 1, 31, 16, 0, 0, TimeSpan.Zero), RuleEvaluator.DayStart(lateEvening, "Asia/Shanghai"));
        Assert.Equal(new DateTimeOffset(2026, 2, 1, 16, 0, 0, TimeSpan.Zero), RuleEvaluator.DayStart(lateEvening.AddSeconds(1), "Asia/Shanghai"));
        Assert.Equal(new DateTimeOffset(2026, 2, 1, 0, 0, 0, TimeSpan.Zero), RuleEvaluator.DayStart(lateEvening, "UTC"));
        // New York on the day clocks go forward (2026-03-08): the day still starts at its midnight, 05:00Z.
        Assert.Equal(new DateTimeOffset(2026, 3, 8, 5, 0, 0, TimeSpan.Zero), RuleEvaluator.DayStart(new DateTimeOffset(2026, 3, 8, 20, 0, 0, TimeSpan.Zero),
            "America/New_York"));
    }
}
