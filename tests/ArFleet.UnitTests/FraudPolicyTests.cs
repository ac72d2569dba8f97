using ArFleet.CampaignRules;
using ArFleet.Contracts;

namespace ArFleet.UnitTests;

/// <summary>The campaign's fraud policy in rule evaluation: refuse by default, flag rewards and shows, ignore leaves out.</summary>
public class FraudPolicyTests
{
    private static readonly DateTimeOffset Start = new(2026, 2, 1, 0, 0, 0, TimeSpan.Zero);
    private static readonly FraudSignals Recaptured = new(0.97, [FraudSignals.Recapture, "periodicPattern"]);
    private static readonly FraudSignals Duplicate = new(0.1, [FraudSignals.DuplicateImage]);

    private static Campaign Campaign(FraudPolicy? fraud) =>
        new(Guid.NewGuid(), Guid.NewGuid(), "c", CampaignStatus.Active, [Guid.NewGuid()], Start, Start.AddDays(7), 0,
            new RewardSpec(RewardTypes.Voucher, 10, 500, "CNY", 30, null, null), new LimitsSpec(1, 0, 0), null, null, Start, Fraud: fraud);

    private static RuleDecision Evaluate(Campaign campaign, FraudSignals? fraud) =>
        RuleEvaluator.Evaluate([campaign], new ScanFacts(Guid.NewGuid(), Start.AddHours(1), null, fraud), "seed");

    [Fact]
    public void Without_a_policy_a_suspected_recapture_and_a_duplicate_image_are_refused_with_their_own_outcomes()
    {
        var campaign = Campaign(null);
        Assert.Equal(ScanOutcome.SuspectedRecapture, Assert.IsType<RuleDecision.Resolve>(Evaluate(campaign, Recaptured)).Outcome);
        Assert.Equal(ScanOutcome.DuplicateImage, Assert.IsType<RuleDecision.Resolve>(Evaluate(campaign, Duplicate)).Outcome);
        Assert.IsType<RuleDecision.RequestReward>(Evaluate(campaign, new FraudSignals(0.2, [])));
        Assert.IsType<RuleDecision.RequestReward>(Evaluate(campaign, null));
    }

    [Fact]
    public void A_device_or_user_over_the_campaigns_caps_is_flagged_by_default_and_refused_as_a_limit_when_the_policy_says_refuse()
    {
        var clean = new FraudSignals(0.1, []);
        var farm = new DeviceActivity(UsersOnDevice: 6, DevicesOfUser: 1); // over the default cap of 5 users a device
        var hopper = new DeviceActivity(UsersOnDevice: 1, DevicesOfUser: 3);
        RuleDecision Decide(FraudPolicy? policy, DeviceActivity devices) =>
            RuleEvaluator.Evaluate([Campaign(policy)], new ScanFacts(Guid.NewGuid(), Start.AddHours(1), null, clean, devices), "seed");

        var flagged = Campaign(null).FraudPolicy;
        Assert.IsType<RuleDecision.RequestReward>(Decide(null, farm));
        Assert.Equal([FraudSignals.SharedDevice], RuleEvaluator.Shown(flagged, RuleEvaluator.Signals(flagged, clean, farm))!.Reasons);
        Assert.Empty(RuleEvaluator.Signals(flagged, clean, new DeviceActivity(5, 5))!.Reasons); // at the caps is still allowed

        var strict = new FraudPolicy(null, null, FraudPolicy.Refuse, MaxUsersPerDevice: 5, MaxDevicesPerUser: 2);
        Assert.Equal(ScanOutcome.LimitReached, Assert.IsType<RuleDecision.Resolve>(Decide(strict, hopper)).Outcome);
        Assert.Equal([FraudSignals.ManyDevices], RuleEvaluator.Signals(strict.Effective(), clean, hopper)!.Reasons);
        Assert.IsType<RuleDecision.RequestReward>(Decide(strict, new DeviceActivity(1, 2)));

        var ignoring = new FraudPolicy(null, null, FraudPolicy.Ignore).Effective();
        Assert.Same(clean, RuleEvaluator.Signals(ignoring, clean, farm));
    }

    [Fact]
    public void A_scan_that_cannot_be_judged_is_never_refused()
    {
        Assert.IsType<RuleDecision.RequestReward>(Evaluate(Campaign(null), new FraudSignals(null, ["tooSmallToJudge"])));
    }

    [Theory]
    [InlineData(FraudPolicy.Flag)]
    [InlineData(FraudPolicy.Ignore)]
    public void Flag_and_ignore_reward_the_scan(string action)
    {
        Assert.IsType<RuleDecision.RequestReward>(Evaluate(Campaign(new FraudPolicy(action, null)), Recaptured));
        Assert.IsType<RuleDecision.RequestReward>(Evaluate(Campaign(new FraudPolicy(null, action)), Duplicate));
        // The other signal keeps its default.
        Assert.Equal(ScanOutcome.DuplicateImage, Assert.IsType<RuleDecision.Resolve>(Evaluate(Campaign(new FraudPolicy(action, null)), Duplicate)).Outcome);
    }

    [Fact]
    public void A_flagged_signal_shows_in_the_result_and_an_ignored_one_does_not()
    {
        var both = new FraudSignals(0.97, [FraudSignals.Recapture, "bezel", FraudSignals.DuplicateImage]);
        var flagged = RuleEvaluator.Shown(new FraudPolicy(FraudPolicy.Flag, FraudPolicy.Flag), both)!;
        Assert.Equal(0.97, flagged.RecaptureScore);
        Assert.Equal(both.Reasons, flagged.Reasons);
        var withoutRecapture = RuleEvaluator.Shown(new FraudPolicy(FraudPolicy.Ignore, FraudPolicy.Flag), both)!;
        Assert.Null(withoutRecapture.RecaptureScore);
        Assert.Equal([FraudSignals.DuplicateImage], withoutRecapture.Reasons);
        Assert.Equal([FraudSignals.Recapture, "bezel"], RuleEvaluator.Shown(new FraudPolicy(FraudPolicy.Flag, FraudPolicy.Ignore), both)!.Reasons);
        Assert.Null(RuleEvaluator.Shown(new FraudPolicy(FraudPolicy.Ignore, FraudPolicy.Ignore), both));
    }

    [Fact]
    public void The_validator_names_an_unknown_action_with_its_field()
    {
        var request = new CampaignRequest("c", [Guid.NewGuid()], Start, Start.AddDays(1), new RewardSpec(RewardTypes.None, null, null, null, null, null, null),
            null, null, null, null, Fraud: new FraudPolicy("block", null));
        Assert.Equal("fraud.recapture", CampaignValidator.Validate(request)!.Field);
        Assert.Equal("fraud.duplicateImage", CampaignValidator.Validate(request with { Fraud = new FraudPolicy(null, "maybe") })!.Field);
        Assert.Null(CampaignValidator.Validate(request with { Fraud = new FraudPolicy(FraudPolicy.Flag, FraudPolicy.Ignore) }));
    }
}
