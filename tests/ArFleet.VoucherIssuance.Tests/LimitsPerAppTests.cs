using ArFleet.Contracts;

namespace ArFleet.VoucherIssuance.Tests;

/// <summary>A campaign's limits count a user or device within the app that scanned, on the real Redis and PostgreSQL:
/// first as Redis decides, then, after flushing Redis, as the ledger decides alone.</summary>
[Collection("vouchers")]
public class LimitsPerAppTests(VoucherStore store)
{
    private static readonly RewardTerms Terms = new(100, 500, "CNY", 30);
    private static readonly Guid AppA = Guid.NewGuid();
    private static readonly Guid AppB = Guid.NewGuid();

    private async Task<VoucherIssuer.Outcome> ScanAsync(Guid campaignId, Guid tenantId, Guid app, string user, RewardLimits limits,
        string? device = null) =>
        await store.Issuer(buckets: 8).IssueAsync(VoucherStore.Request(campaignId, tenantId, user, Terms, limits, deviceId: device, appTenantId: app),
            default);

    private Task FlushRedisAsync() => store.Redis.GetServers()[0].FlushDatabaseAsync(VoucherStore.RedisDatabase);

    private static void AssertLimitReached(VoucherIssuer.Outcome outcome) =>
        Assert.Equal(RewardDenialReason.LimitReached, Assert.IsType<VoucherIssuer.Outcome.Denied>(outcome).Reason);

    public static TheoryData<RewardLimits> UserLimits => new() { new RewardLimits(1, 0, 0), new RewardLimits(0, 0, 1) };

    [Theory]
    [MemberData(nameof(UserLimits))]
    public async Task One_user_id_in_two_apps_has_a_limit_in_each(RewardLimits oneEach)
    {
        var (campaignId, tenantId) = (Guid.NewGuid(), Guid.NewGuid());

        var inA = Assert.IsType<VoucherIssuer.Outcome.Issued>(await ScanAsync(campaignId, tenantId, AppA, "alice", oneEach));
        var inB = Assert.IsType<VoucherIssuer.Outcome.Issued>(await ScanAsync(campaignId, tenantId, AppB, "alice", oneEach));
        AssertLimitReached(await ScanAsync(campaignId, tenantId, AppA, "alice", oneEach));
        AssertLimitReached(await ScanAsync(campaignId, tenantId, AppB, "alice", oneEach));

        await FlushRedisAsync();
        AssertLimitReached(await ScanAsync(campaignId, tenantId, AppA, "alice", oneEach));
        AssertLimitReached(await ScanAsync(campaignId, tenantId, AppB, "alice", oneEach));
        Assert.IsType<VoucherIssuer.Outcome.Issued>(await ScanAsync(campaignId, tenantId, Guid.NewGuid(), "alice", oneEach));

        Assert.Equal(("alice", "alice"), (inA.Voucher.UserId, inB.Voucher.UserId)); // the API shows the app's user id as it was
        Assert.Equal(3, await store.ScalarAsync("SELECT count(DISTINCT app_tenant_id) FROM vouchers WHERE campaign_id = $1 AND user_id = 'alice'",
            campaignId));
        Assert.Empty((await store.Reconciliation.CheckAsync(campaignId, default))!.LedgerProblems);
    }

    [Fact]
    public async Task One_device_id_in_two_apps_has_a_limit_in_each()
    {
        var (campaignId, tenantId) = (Guid.NewGuid(), Guid.NewGuid());
        var onePerDevice = new RewardLimits(0, 1, 0);

        Assert.IsType<VoucherIssuer.Outcome.Issued>(await ScanAsync(campaignId, tenantId, AppA, "alice", onePerDevice, "phone"));
        Assert.IsType<VoucherIssuer.Outcome.Issued>(await ScanAsync(campaignId, tenantId, AppB, "bob", onePerDevice, "phone"));
        AssertLimitReached(await ScanAsync(campaignId, tenantId, AppA, "carol", onePerDevice, "phone"));

        await FlushRedisAsync();
        AssertLimitReached(await ScanAsync(campaignId, tenantId, AppB, "dave", onePerDevice, "phone"));
        Assert.IsType<VoucherIssuer.Outcome.Issued>(await ScanAsync(campaignId, tenantId, Guid.NewGuid(), "erin", onePerDevice, "phone"));
    }

    [Fact]
    public async Task A_voucher_recorded_before_vouchers_had_an_app_counts_in_every_app()
    {
        var (campaignId, tenantId) = (Guid.NewGuid(), Guid.NewGuid());
        var oneEach = new RewardLimits(1, 1, 0);
        // A campaign that issued before the upgrade: what migration 003 leaves of its voucher is a row without an app,
        // counted in the bucket the user id alone chose then. Redis starts from the ledger.
        var layout = await store.Ledger.EnsureCampaignAsync(VoucherStore.Request(campaignId, tenantId, "alice", Terms, oneEach), 8, default);
        var bucket = layout.HomeBucket("alice");
        await store.ScalarAsync(
            "WITH legacy AS (INSERT INTO vouchers (code, scan_id, campaign_id, tenant_id, user_id, device_id, value_cents, currency, issued_at, " +
            "expires_at, bucket) VALUES ($1, $2, $3, $4, 'alice', 'old-phone', 500, 'CNY', now(), now() + interval '30 days', $5) RETURNING bucket) " +
            "UPDATE voucher_buckets SET issued = issued + 1 WHERE campaign_id = $3 AND bucket = (SELECT bucket FROM legacy)",
            VoucherCode.New(), Guid.NewGuid(), campaignId, tenantId, bucket);

        AssertLimitReached(await ScanAsync(campaignId, tenantId, AppA, "alice", oneEach));
        AssertLimitReached(await ScanAsync(campaignId, tenantId, AppB, "alice", oneEach));
        AssertLimitReached(await ScanAsync(campaignId, tenantId, AppB, "bob", oneEach, "old-phone"));
        Assert.IsType<VoucherIssuer.Outcome.Issued>(await ScanAsync(campaignId, tenantId, AppB, "bob", oneEach, "new-phone"));

        var report = await store.Reconciliation.CheckAsync(campaignId, default);
        Assert.Empty(report!.LedgerProblems);
        Assert.Equal(0, report.RedisDrift);
    }
}
