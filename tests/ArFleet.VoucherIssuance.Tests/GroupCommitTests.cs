using ArFleet.Contracts;
using Microsoft.Extensions.Options;
using Npgsql;

namespace ArFleet.VoucherIssuance.Tests;

/// <summary>Group commit on the real PostgreSQL: a batch of reservations recorded in one transaction decides each as
/// if they had come one after another, and a batch that fails leaves each reservation its own answer.</summary>
[Collection("vouchers")]
public class GroupCommitTests(VoucherStore store)
{
    private static readonly RewardTerms Terms = new(100, 500, "CNY", 30);
    private static readonly RewardLimits NoLimits = new(0, 0, 0);

    private static VoucherLedger.Reservation Reserve(BudgetLayout layout, RewardRequested request, string? code = null) =>
        new(layout.HomeBucket(request), request, code ?? VoucherCode.New(), DateTimeOffset.UtcNow);

    private async Task<(BudgetLayout Layout, Guid TenantId)> CampaignAsync(RewardTerms terms, int buckets)
    {
        var (campaignId, tenantId) = (Guid.NewGuid(), Guid.NewGuid());
        var layout = await store.Ledger.EnsureCampaignAsync(VoucherStore.Request(campaignId, tenantId, "starter", terms, NoLimits), buckets, default);
        return (layout, tenantId);
    }

    private static VoucherLedger.Outcome.Issued AssertIssued(VoucherLedger.Outcome? outcome, bool isNew)
    {
        var issued = Assert.IsType<VoucherLedger.Outcome.Issued>(outcome);
        Assert.Equal(isNew, issued.New);
        return issued;
    }

    private static void AssertLimitReached(VoucherLedger.Outcome? outcome) =>
        Assert.Equal(RewardDenialReason.LimitReached, Assert.IsType<VoucherLedger.Outcome.Denied>(outcome).Reason);

    private async Task AssertLedgerConsistentAsync(Guid campaignId)
    {
        var states = await store.Ledger.BucketStatesAsync(campaignId, default);
        Assert.All(states, s => Assert.Equal(s.Issued, s.VouchersRecorded));
    }

    public static TheoryData<RewardLimits> OneEach => new() { new RewardLimits(1, 0, 0), new RewardLimits(0, 0, 1), new RewardLimits(0, 1, 0) };

    [Theory]
    [MemberData(nameof(OneEach))]
    public async Task Two_requests_of_one_user_in_one_batch_get_one_voucher_under_a_limit_of_one(RewardLimits limits)
    {
        var (layout, tenantId) = await CampaignAsync(Terms, buckets: 4);
        var request = () => VoucherStore.Request(layout.CampaignId, tenantId, "alice", Terms, limits, deviceId: "alices-phone");
        var bob = VoucherStore.Request(layout.CampaignId, tenantId, "bob", Terms, limits);

        var outcomes = await store.Ledger.IssueBatchAsync(layout, [Reserve(layout, request()), Reserve(layout, bob), Reserve(layout, request())], default);

        AssertIssued(outcomes[0], isNew: true);
        AssertIssued(outcomes[1], isNew: true);
        AssertLimitReached(outcomes[2]);
        Assert.Equal(1, await store.ScalarAsync("SELECT count(*) FROM vouchers WHERE campaign_id = $1 AND user_id = 'alice'", layout.CampaignId));
        await AssertLedgerConsistentAsync(layout.CampaignId);
    }

    [Fact]
    public async Task A_device_limit_counts_the_batch_across_buckets()
    {
        var (layout, tenantId) = await CampaignAsync(Terms, buckets: 8);
        var limits = new RewardLimits(0, 2, 0);
        var requests = Enumerable.Range(0, 40).Select(i => VoucherStore.Request(layout.CampaignId, tenantId, $"user-{i}", Terms, limits,
            deviceId: "shared-phone")).ToList();
        var buckets = requests.Select(layout.HomeBucket).ToList();
        requests = requests.Where((_, i) => buckets[i] == buckets[0]).Take(2).Concat(requests.Where((_, i) => buckets[i] != buckets[0]).Take(2))
            .OrderBy(r => r.UserId).ToList(); // users of two buckets, in the batch in no bucket order

        var outcomes = await store.Ledger.IssueBatchAsync(layout, requests.Select(r => Reserve(layout, r)).ToList(), default);

        Assert.Equal([true, true, false, false], outcomes.Select(o => o is VoucherLedger.Outcome.Issued).ToArray());
        Assert.All(outcomes.Skip(2), AssertLimitReached);
    }

    [Fact]
    public async Task A_scan_twice_in_one_batch_gets_the_first_voucher()
    {
        var (layout, tenantId) = await CampaignAsync(Terms, buckets: 2);
        var scan = VoucherStore.Request(layout.CampaignId, tenantId, "alice", Terms, new RewardLimits(1, 0, 0));
        var (firstCode, secondCode) = (VoucherCode.New(), VoucherCode.New());

        var outcomes = await store.Ledger.IssueBatchAsync(layout, [Reserve(layout, scan, firstCode), Reserve(layout, scan, secondCode)], default);

        Assert.Equal(firstCode, AssertIssued(outcomes[0], isNew: true).Voucher.Code);
        Assert.Equal(firstCode, AssertIssued(outcomes[1], isNew: false).Voucher.Code);
        Assert.Equal(1, await store.ScalarAsync("SELECT count(*) FROM vouchers WHERE scan_id = $1", scan.ScanId));
        await AssertLedgerConsistentAsync(layout.CampaignId);
    }

    [Fact]
    public async Task A_scan_recorded_before_gets_its_voucher_and_the_rest_of_the_batch_is_recorded()
    {
        var (layout, tenantId) = await CampaignAsync(Terms, buckets: 2);
        var earlier = VoucherStore.Request(layout.CampaignId, tenantId, "alice", Terms, NoLimits);
        var recorded = AssertIssued((await store.Ledger.IssueBatchAsync(layout, [Reserve(layout, earlier)], default))[0], isNew: true);
        var others = Enumerable.Range(0, 3).Select(i => VoucherStore.Request(layout.CampaignId, tenantId, $"user-{i}", Terms, NoLimits)).ToList();

        var outcomes = await store.Ledger.IssueBatchAsync(layout, [Reserve(layout, others[0]), Reserve(layout, earlier), .. others.Skip(1).Select(r =>
            Reserve(layout, r))], default);

        Assert.Equal(recorded.Voucher.Code, AssertIssued(outcomes[1], isNew: false).Voucher.Code);
        Assert.All(outcomes.Where((_, i) => i != 1), o => AssertIssued(o, isNew: true));
        Assert.Equal(4, await store.ScalarAsync("SELECT count(*) FROM vouchers WHERE campaign_id = $1", layout.CampaignId));
        await AssertLedgerConsistentAsync(layout.CampaignId);
    }

    [Fact]
    public async Task A_batch_larger_than_its_bucket_gives_out_exactly_the_quota()
    {
        var terms = new RewardTerms(3, 500, "CNY", 30);
        var (layout, tenantId) = await CampaignAsync(terms, buckets: 1);
        var requests = Enumerable.Range(0, 5).Select(i => VoucherStore.Request(layout.CampaignId, tenantId, $"user-{i}", terms, NoLimits)).ToList();

        var outcomes = await store.Ledger.IssueBatchAsync(layout, requests.Select(r => Reserve(layout, r)).ToList(), default);

        Assert.Equal(3, outcomes.Count(o => o is VoucherLedger.Outcome.Issued));
        Assert.All(outcomes.Skip(3), o => Assert.IsType<VoucherLedger.Outcome.BucketFull>(o));
        Assert.Equal(3, (await store.Ledger.BucketQuotasAsync(layout.CampaignId, default)).Single().Issued);
        await AssertLedgerConsistentAsync(layout.CampaignId);
    }

    [Fact]
    public async Task A_red_envelope_batch_claims_one_envelope_each()
    {
        var terms = new RewardTerms(6, 0, "CNY", 30, PoolCents: 1_000);
        var (layout, tenantId) = await CampaignAsync(terms, buckets: 2);
        var requests = Enumerable.Range(0, 6).Select(i => VoucherStore.Request(layout.CampaignId, tenantId, $"user-{i}", terms, NoLimits)).ToList();

        var outcomes = await store.Ledger.IssueBatchAsync(layout, requests.Select(r => Reserve(layout, r)).ToList(), default);

        var vouchers = outcomes.Select(o => AssertIssued(o, isNew: true).Voucher).ToList();
        Assert.Equal(1_000, vouchers.Sum(v => v.ValueCents));
        foreach (var voucher in vouchers)
            Assert.Equal(voucher.ValueCents, await store.ScalarAsync("SELECT amount_cents FROM red_envelopes WHERE scan_id = $1", voucher.ScanId));
        Assert.Equal(0, await store.ScalarAsync("SELECT count(*) FROM red_envelopes WHERE campaign_id = $1 AND scan_id IS NULL", layout.CampaignId));
        Assert.Empty((await store.Reconciliation.CheckAsync(layout.CampaignId, default))!.LedgerProblems);
    }

    /// <summary>Holds a bucket's row lock, so that reservations sent meanwhile queue up for one batch, and the batch's
    /// transaction waits for it to be released.</summary>
    private async Task<NpgsqlTransaction> HoldBucketAsync(BudgetLayout layout, int bucket)
    {
        var connection = await store.Postgres.OpenConnectionAsync();
        var transaction = await connection.BeginTransactionAsync();
        await using var command = new NpgsqlCommand("SELECT 1 FROM voucher_buckets WHERE campaign_id = $1 AND bucket = $2 FOR UPDATE", connection,
            transaction);
        command.Parameters.AddWithValue(layout.CampaignId);
        command.Parameters.AddWithValue(bucket);
        await command.ExecuteNonQueryAsync();
        return transaction;
    }

    private async Task ReleaseAsync(NpgsqlTransaction hold)
    {
        var connection = hold.Connection!;
        await hold.RollbackAsync();
        await connection.DisposeAsync();
    }

    [Fact]
    public async Task A_batch_with_a_reservation_that_breaks_a_unique_key_records_the_others_each_on_its_own()
    {
        var (layout, tenantId) = await CampaignAsync(Terms, buckets: 1);
        var taken = AssertIssued((await store.Ledger.IssueBatchAsync(layout,
            [Reserve(layout, VoucherStore.Request(layout.CampaignId, tenantId, "first", Terms, NoLimits))], default))[0], isNew: true).Voucher.Code;
        var groupCommit = store.GroupCommit(Options.Create(new VoucherOptions()));
        var requests = Enumerable.Range(0, 6).Select(i => VoucherStore.Request(layout.CampaignId, tenantId, $"user-{i}", Terms, NoLimits)).ToList();
        var now = DateTimeOffset.UtcNow;

        var hold = await HoldBucketAsync(layout, 0);
        // The third reservation reuses an issued voucher's code (the primary key): its statement fails the batch.
        var pending = requests.Select((r, i) => groupCommit.IssueInBucketAsync(layout, 0, r, i == 2 ? taken : VoucherCode.New(), now, default)).ToList();
        await WaitForLockWaiterAsync();
        Assert.All(pending, task => Assert.False(task.IsCompleted)); // nothing answered before a commit
        await ReleaseAsync(hold);

        var failure = await Assert.ThrowsAsync<InvalidOperationException>(() => pending[2]);
        Assert.Contains("unique key", failure.Message);
        foreach (var (task, request) in pending.Zip(requests).Where((_, i) => i != 2))
            Assert.Equal(request.ScanId, AssertIssued(await task, isNew: true).Voucher.ScanId);
        Assert.Equal(6, await store.ScalarAsync("SELECT count(*) FROM vouchers WHERE campaign_id = $1", layout.CampaignId));
        await AssertLedgerConsistentAsync(layout.CampaignId);
    }

    [Fact]
    public async Task A_batch_lost_mid_transaction_records_nothing_and_the_redelivered_messages_get_their_reserved_vouchers()
    {
        var (layout, tenantId) = await CampaignAsync(Terms, buckets: 1);
        var issuer = store.Issuer(buckets: 1);
        var requests = Enumerable.Range(0, 8).Select(i => VoucherStore.Request(layout.CampaignId, tenantId, $"user-{i}", Terms, new RewardLimits(1, 0, 0)))
            .ToList();
        await issuer.IssueAsync(requests[0], default); // seeds Redis
        var now = DateTimeOffset.UtcNow;
        var reservations = new List<VoucherLedger.Reservation>();
        foreach (var request in requests.Skip(1)) // what the issuer reserved in Redis before its process died
            reservations.Add(Reserve(layout, request, Assert.IsType<RedisBudgetGate.Verdict.Issue>(
                await store.Gate.TryIssueAsync(layout, 0, request, VoucherCode.New(), now)).Code));

        var hold = await HoldBucketAsync(layout, 0);
        var batch = store.Ledger.IssueBatchAsync(layout, reservations, default);
        var waiting = await WaitForLockWaiterAsync();
        Assert.False(batch.IsCompleted); // no answer, so no message acknowledged, before the commit
        await store.ScalarAsync("SELECT count(*) FROM (SELECT pg_terminate_backend($1)) AS t", waiting);
        await ReleaseAsync(hold);

        await Assert.ThrowsAnyAsync<NpgsqlException>(() => batch);
        Assert.Equal(1, await store.ScalarAsync("SELECT count(*) FROM vouchers WHERE campaign_id = $1", layout.CampaignId));
        var redelivered = await Task.WhenAll(requests.Skip(1).Select(r => issuer.IssueAsync(r, default)));
        Assert.Equal(reservations.Select(r => r.Code), redelivered.Select(o => Assert.IsType<VoucherIssuer.Outcome.Issued>(o).Voucher.Code));
        var report = await store.Reconciliation.CheckAsync(layout.CampaignId, default);
        Assert.Empty(report!.LedgerProblems);
        Assert.Equal((8, 0L), (report.Issued, report.RedisDrift));
    }

    /// <summary>The backend of this test database's transaction that waits for a bucket's row lock.</summary>
    private async Task<int> WaitForLockWaiterAsync()
    {
        var deadline = DateTime.UtcNow.AddMinutes(1);
        while (DateTime.UtcNow < deadline)
        {
            await using var command = store.Postgres.CreateCommand(
                "SELECT pid FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock' AND query LIKE '%voucher_buckets%' LIMIT 1");
            if (await command.ExecuteScalarAsync() is int pid) return pid;
            await Task.Delay(20);
        }
        throw new TimeoutException("No transaction waited for the bucket's row lock.");
    }
}
