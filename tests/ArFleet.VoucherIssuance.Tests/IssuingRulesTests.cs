using ArFleet.Contracts;
using ArFleet.ServiceDefaults;

namespace ArFleet.VoucherIssuance.Tests;

/// <summary>Smaller cases of the issuing rules, on the real Redis and PostgreSQL.</summary>
[Collection("vouchers")]
public class IssuingRulesTests(VoucherStore store)
{
    private static readonly RewardTerms TenVouchers = new(10, 500, "CNY", 30);

    [Fact]
    public async Task One_users_bucket_running_dry_borrows_from_the_others_until_the_whole_budget_is_gone()
    {
        // Every request comes from one user, so from one of eight buckets, which starts with 2 of the 10.
        var (campaignId, tenantId) = (Guid.NewGuid(), Guid.NewGuid());
        var issuer = store.Issuer(buckets: 8);
        var outcomes = new List<VoucherIssuer.Outcome>();
        for (var i = 0; i < 14; i++)
            outcomes.Add(await issuer.IssueAsync(VoucherStore.Request(campaignId, tenantId, "collector", TenVouchers, new RewardLimits(0, 0, 0)), default));

        Assert.Equal(10, outcomes.Count(o => o is VoucherIssuer.Outcome.Issued));
        Assert.All(outcomes.Skip(10), o => Assert.Equal(RewardDenialReason.BudgetExhausted, Assert.IsType<VoucherIssuer.Outcome.Denied>(o).Reason));
        var report = await store.Reconciliation.CheckAsync(campaignId, default);
        Assert.Empty(report!.LedgerProblems);
        Assert.Equal(8, report.Buckets.Count);
        Assert.Equal(0, report.RedisDrift);
        Assert.All(report.Buckets, b => Assert.True(b.RedisExhausted));
    }

    [Fact]
    public async Task A_device_limit_holds_across_users_in_different_buckets()
    {
        var (campaignId, tenantId) = (Guid.NewGuid(), Guid.NewGuid());
        var limits = new RewardLimits(0, 3, 0);
        var issuer = store.Issuer(buckets: 8);
        var outcomes = await Task.WhenAll(Enumerable.Range(0, 40).Select(i =>
            issuer.IssueAsync(VoucherStore.Request(campaignId, tenantId, $"user-{i}", new RewardTerms(100, 500, "CNY", 30), limits, deviceId: "shared-phone"),
                default)));

        Assert.Equal(3, outcomes.Count(o => o is VoucherIssuer.Outcome.Issued));
        Assert.All(outcomes.OfType<VoucherIssuer.Outcome.Denied>(), d => Assert.Equal(RewardDenialReason.LimitReached, d.Reason));
    }

    [Fact]
    public async Task A_per_user_per_day_limit_allows_that_many_a_day()
    {
        var (campaignId, tenantId) = (Guid.NewGuid(), Guid.NewGuid());
        var issuer = store.Issuer(buckets: 4);
        var outcomes = new List<VoucherIssuer.Outcome>();
        for (var i = 0; i < 5; i++)
            outcomes.Add(await issuer.IssueAsync(VoucherStore.Request(campaignId, tenantId, "daily", TenVouchers, new RewardLimits(0, 0, 2)), default));
        Assert.Equal(2, outcomes.Count(o => o is VoucherIssuer.Outcome.Issued));
    }

    private sealed class SettableClock(DateTimeOffset now) : TimeProvider
    {
        public DateTimeOffset Now { get; set; } = now;
        public override DateTimeOffset GetUtcNow() => Now;
    }

    [Fact]
    public async Task The_per_day_limit_resets_at_the_day_start_campaign_rules_sends()
    {
        // Shanghai days begin at 16:00 UTC. 15:30 and 15:59 UTC are one local day; 16:01 is the next.
        var (campaignId, tenantId) = (Guid.NewGuid(), Guid.NewGuid());
        var utcDay = new DateTimeOffset(DateTime.UtcNow.Date, TimeSpan.Zero);
        var localDayStart = utcDay.AddHours(-8);
        var clock = new SettableClock(utcDay.AddHours(15.5));
        var issuer = store.Issuer(buckets: 2, clock);
        async Task<VoucherIssuer.Outcome> Scan(DateTimeOffset dayStart) =>
            await issuer.IssueAsync(VoucherStore.Request(campaignId, tenantId, "night-owl", TenVouchers, new RewardLimits(0, 0, 1, dayStart)), default);

        Assert.IsType<VoucherIssuer.Outcome.Issued>(await Scan(localDayStart));
        clock.Now = utcDay.AddHours(15).AddMinutes(59);
        Assert.IsType<VoucherIssuer.Outcome.Denied>(await Scan(localDayStart));
        clock.Now = utcDay.AddHours(16).AddMinutes(1);
        Assert.IsType<VoucherIssuer.Outcome.Issued>(await Scan(localDayStart.AddDays(1)));
    }

    [Fact]
    public async Task A_request_from_another_tenant_or_of_another_kind_is_poison()
    {
        var (campaignId, tenantId) = (Guid.NewGuid(), Guid.NewGuid());
        var issuer = store.Issuer(buckets: 4);
        await issuer.IssueAsync(VoucherStore.Request(campaignId, tenantId, "alice", TenVouchers, new RewardLimits(1, 0, 0)), default);

        var stranger = await Assert.ThrowsAsync<PoisonMessageException>(() =>
            issuer.IssueAsync(VoucherStore.Request(campaignId, Guid.NewGuid(), "bob", TenVouchers, new RewardLimits(1, 0, 0)), default));
        Assert.Contains("another tenant", stranger.Message);
        var pool = await Assert.ThrowsAsync<PoisonMessageException>(() =>
            issuer.IssueAsync(VoucherStore.Request(campaignId, tenantId, "bob", TenVouchers with { PoolCents = 1_000 }, new RewardLimits(1, 0, 0)), default));
        Assert.Contains("voucher budget", pool.Message);
    }

    [Fact]
    public async Task A_voucher_is_redeemed_once()
    {
        var (campaignId, tenantId) = (Guid.NewGuid(), Guid.NewGuid());
        var issued = Assert.IsType<VoucherIssuer.Outcome.Issued>(await store.Issuer(buckets: 1).IssueAsync(
            VoucherStore.Request(campaignId, tenantId, "alice", TenVouchers, new RewardLimits(1, 0, 0)), default));
        var now = DateTimeOffset.UtcNow;

        Assert.Null(await store.Ledger.RedeemAsync(Guid.NewGuid(), issued.Voucher.Code, now, default)); // not that tenant's
        Assert.Equal("redeemed", (await store.Ledger.RedeemAsync(tenantId, issued.Voucher.Code, now, default))!.Status(now));
        Assert.Null(await store.Ledger.RedeemAsync(tenantId, issued.Voucher.Code, now, default));
        Assert.True(VoucherCode.IsValid(issued.Voucher.Code));
    }

    [Fact]
    public async Task Reconciliation_reports_redis_stock_that_differs_from_the_ledger()
    {
        var (campaignId, tenantId) = (Guid.NewGuid(), Guid.NewGuid());
        await store.Issuer(buckets: 2).IssueAsync(VoucherStore.Request(campaignId, tenantId, "alice", TenVouchers, new RewardLimits(1, 0, 0)), default);
        Assert.Equal(0, (await store.Reconciliation.CheckAsync(campaignId, default))!.RedisDrift);

        await store.Gate.AdjustStockAsync(campaignId, 1, 7);

        var report = await store.Reconciliation.CheckAsync(campaignId, default);
        Assert.Equal(7, report!.RedisDrift);
        Assert.Equal(7, report.Buckets.Single(b => b.Bucket == 1).Drift);
        Assert.Empty(report.LedgerProblems);
    }
}
