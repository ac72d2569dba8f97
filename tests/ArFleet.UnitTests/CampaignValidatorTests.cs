using ArFleet.CampaignRules;

namespace ArFleet.UnitTests;

public class CampaignValidatorTests
{
    private static readonly DateTimeOffset Now = DateTimeOffset.UtcNow;

    private static CampaignRequest Valid() => new("Spring", [Guid.NewGuid()], Now, Now.AddDays(1),
        new RewardSpec("voucher", 100, 500, "CNY", 30, null, null), new LimitsSpec(1, 3, 1), new GeoFence(31.23, 121.47, 500),
        new ActionSpec("h5", "https://brand.example/spring", null, null), 0);

    [Fact]
    public void A_complete_campaign_is_valid() => Assert.Null(CampaignValidator.Validate(Valid()));

    public static TheoryData<string, Func<CampaignRequest, CampaignRequest>> Invalid => new()
    {
        { "name", r => r with { Name = " " } },
        { "targetIds", r => r with { TargetIds = [] } },
        { "endsAt", r => r with { EndsAt = r.StartsAt } },
        { "reward.budget", r => r with { Reward = r.Reward! with { Budget = 0 } } },
        { "reward.currency", r => r with { Reward = r.Reward! with { Currency = "yuan" } } },
        { "reward.type", r => r with { Reward = r.Reward! with { Type = "cash" } } },
        { "geoFence.lat", r => r with { GeoFence = new GeoFence(91, 0, 10) } },
        { "geoFence.radiusMeters", r => r with { GeoFence = new GeoFence(0, 0, 0) } },
        { "action.url", r => r with { Action = new ActionSpec("h5", "http://brand.example", null, null) } },
        { "action.appId", r => r with { Action = new ActionSpec("miniProgram", null, null, "/pages/x") } },
        { "limits", r => r with { Limits = new LimitsSpec(-1, 0, 0) } },
        { "winProbability", r => r with { WinProbability = 0 } },
        { "winProbability", r => r with { WinProbability = 1.5 } },
        { "timeZone", r => r with { TimeZone = "Mars/Olympus" } },
    };

    [Theory]
    [MemberData(nameof(Invalid))]
    public void An_invalid_field_is_named(string field, Func<CampaignRequest, CampaignRequest> spoil) =>
        Assert.Equal(field, CampaignValidator.Validate(spoil(Valid()))?.Field);
}
