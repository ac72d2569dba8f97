using ArFleet.CampaignRules;
using ArFleet.Contracts;
using ArFleet.VoucherIssuance;

namespace ArFleet.UnitTests;

public class RedEnvelopeTests
{
    [Theory]
    [InlineData(100_000, 1_000)]
    [InlineData(1_000, 1_000)] // a cent each
    [InlineData(1_001, 1_000)]
    [InlineData(999, 1)]
    [InlineData(100_000_000_000, 1_000_000)]
    public void The_double_mean_split_sums_to_the_pool_with_every_envelope_at_least_a_cent(long pool, int count)
    {
        var amounts = RedEnvelopeSplit.Split(pool, count);
        Assert.Equal(count, amounts.Length);
        Assert.Equal(pool, amounts.Sum());
        Assert.All(amounts, a => Assert.True(a >= 1));
    }

    [Fact]
    public void Each_amount_but_the_last_is_at_most_twice_the_mean_of_what_remained()
    {
        const long pool = 100_000;
        var amounts = RedEnvelopeSplit.Split(pool, 500);
        var remaining = pool;
        for (var i = 0; i < amounts.Length - 1; i++)
        {
            Assert.InRange(amounts[i], 1, 2 * remaining / (amounts.Length - i));
            remaining -= amounts[i];
        }
        Assert.Equal(remaining, amounts[^1]);
    }

    [Fact]
    public void Amounts_vary_and_average_to_the_mean()
    {
        var amounts = RedEnvelopeSplit.Split(10_000_000, 100_000);
        Assert.True(amounts.Distinct().Count() > 100);
        Assert.InRange(amounts[..^1].Average(), 90, 110);
    }

    [Fact]
    public void A_pool_smaller_than_a_cent_per_envelope_cannot_be_split() =>
        Assert.Throws<ArgumentOutOfRangeException>(() => RedEnvelopeSplit.Split(99, 100));

    private static CampaignRequest Campaign(RewardSpec reward) => new("Spring", [Guid.NewGuid()], DateTimeOffset.UtcNow, DateTimeOffset.UtcNow.AddDays(1),
        reward, null, null, null, 0);

    [Fact]
    public void Campaign_rules_accept_a_red_envelope_pool() =>
        Assert.Null(CampaignValidator.Validate(Campaign(new RewardSpec("redEnvelope", null, null, null, null, 100_000, 1_000))));

    [Theory]
    [InlineData(100_000L, 0, "reward.count")]
    [InlineData(100_000L, 2_000_000, "reward.count")]
    [InlineData(0L, 10, "reward.totalCents")]
    [InlineData(999L, 1_000, "reward.totalCents")]
    public void Campaign_rules_name_the_wrong_pool_field(long total, int count, string field) =>
        Assert.Equal(field, CampaignValidator.Validate(Campaign(new RewardSpec("redEnvelope", null, null, null, null, total, count)))?.Field);

    private static RewardRequested Request(RewardTerms terms) => new(Guid.NewGuid(), Guid.NewGuid(), Guid.NewGuid(), Guid.NewGuid(),
        "user", "device", terms, new RewardLimits(1, 0, 0), new RecognizedTarget(Guid.NewGuid(), 0.9, []), null, DateTimeOffset.UtcNow);

    [Fact]
    public void A_pool_request_needs_no_value_per_voucher() =>
        Assert.Null(RewardRequestedConsumer.Validate(Request(new RewardTerms(1_000, 0, "CNY", 30, 100_000))));

    [Theory]
    [InlineData(1_000, 999L, "Pool of 999 cents cannot")]
    [InlineData(2_000_000, 100_000_000L, "A pool of 2000000 envelopes")]
    [InlineData(10, 0L, "Pool of 0 cents is out of range")]
    public void An_impossible_pool_is_poison_with_the_reason(int count, long pool, string reason) =>
        Assert.StartsWith(reason, RewardRequestedConsumer.Validate(Request(new RewardTerms(count, 0, "CNY", 30, pool))));
}

public class BudgetLayoutTests
{
    [Theory]
    [InlineData(5_000, 8)]
    [InlineData(7, 8)]
    [InlineData(1_003, 4)]
    public void Bucket_quotas_sum_to_the_budget_and_differ_by_at_most_one(int budget, int buckets)
    {
        var layout = new BudgetLayout(Guid.NewGuid(), Guid.NewGuid(), budget, null, buckets);
        var quotas = Enumerable.Range(0, buckets).Select(layout.Quota).ToList();
        Assert.Equal(budget, quotas.Sum());
        Assert.InRange(quotas.Max() - quotas.Min(), 0, 1);
    }

    [Fact]
    public void A_user_always_has_the_same_home_bucket_and_users_spread_over_all()
    {
        var layout = new BudgetLayout(Guid.NewGuid(), Guid.NewGuid(), 1_000, null, 8);
        Assert.Equal(layout.HomeBucket("alice"), layout.HomeBucket("alice"));
        var homes = Enumerable.Range(0, 8_000).GroupBy(i => layout.HomeBucket($"user-{i}")).ToDictionary(g => g.Key, g => g.Count());
        Assert.Equal(8, homes.Count);
        Assert.All(homes.Values, n => Assert.InRange(n, 800, 1_200));
    }
}
