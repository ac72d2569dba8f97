using ArFleet.Contracts;
using ArFleet.VoucherIssuance;

namespace ArFleet.UnitTests;

public class RewardRequestValidationTests
{
    private static RewardRequested Request(RewardTerms terms) => new(Guid.NewGuid(), Guid.NewGuid(), Guid.NewGuid(), Guid.NewGuid(),
        "user", "device", terms, new RewardLimits(1, 0, 0), new RecognizedTarget(Guid.NewGuid(), 0.9, []), null, DateTimeOffset.UtcNow);

    [Fact]
    public void A_sound_request_passes() => Assert.Null(RewardRequestedConsumer.Validate(Request(new RewardTerms(10, 500, "CNY", 30))));

    [Theory]
    [InlineData(0, 500, "CNY", 30, "Budget")]
    [InlineData(10, 0, "CNY", 30, "Value")]
    [InlineData(10, 500, "rmb", 30, "Currency")]
    [InlineData(10, 500, "CNY", 0, "Validity")]
    public void An_impossible_request_is_poison_with_the_reason(int budget, long cents, string currency, int days, string reason) =>
        Assert.StartsWith(reason, RewardRequestedConsumer.Validate(Request(new RewardTerms(budget, cents, currency, days))));
}
