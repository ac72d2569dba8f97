using ArFleet.Contracts;
using Xunit.Abstractions;

namespace ArFleet.VoucherIssuance.Tests;

/// <summary>The issue's must-show tests: a festival flood against one campaign through the service's issuing code,
/// on the real Redis and PostgreSQL, all requests started at once.</summary>
[Collection("vouchers")]
public class FestivalIssuingTests(VoucherStore store, ITestOutputHelper output)
{
    private static readonly RewardLimits OnePerUser = new(1, 0, 0);

    /// <summary>18,000 scans from 6,000 users (three each), then 2,000 redeliveries of earlier scans, shuffled with
    /// each redelivery after its original.</summary>
    private static List<RewardRequested> Flood(Guid campaignId, Guid tenantId, RewardTerms terms, int originals = 18_000, int users = 6_000,
        int duplicates = 2_000)
    {
        var random = new Random(5);
        var requests = Enumerable.Range(0, originals)
            .Select(i => VoucherStore.Request(campaignId, tenantId, $"user-{random.Next(users)}", terms, OnePerUser)).ToList();
        for (var i = 0; i < duplicates; i++)
        {
            var at = random.Next(1, requests.Count);
            requests.Insert(at, requests[random.Next(at)]);
        }
        return requests;
    }

    private static async Task<(RewardRequested Request, VoucherIssuer.Outcome Outcome)[]> IssueAllAsync(
        VoucherIssuer issuer, IEnumerable<RewardRequested> requests, Func<int, Task>? afterEach = null)
    {
        var done = 0;
        return await Task.WhenAll(requests.Select(request => Task.Run(async () =>
        {
            var outcome = await issuer.IssueAsync(request, CancellationToken.None);
            if (afterEach is not null) await afterEach(Interlocked.Increment(ref done));
            return (request, outcome);
        })));
    }

    /// <summary>Every answer for one scan is the same: the same voucher, or a denial.</summary>
    private static void AssertDuplicatesAnsweredAlike((RewardRequested Request, VoucherIssuer.Outcome Outcome)[] results)
    {
        foreach (var scan in results.GroupBy(r => r.Request.ScanId).Where(g => g.Count() > 1))
        {
            var codes = scan.Select(r => r.Outcome is VoucherIssuer.Outcome.Issued i ? i.Voucher.Code : "denied").Distinct().ToList();
            Assert.True(codes.Count == 1, $"scan {scan.Key} was answered {string.Join(", ", codes)}");
        }
    }

    private static List<Voucher> Issued((RewardRequested Request, VoucherIssuer.Outcome Outcome)[] results) =>
        results.Select(r => r.Outcome).OfType<VoucherIssuer.Outcome.Issued>().Select(i => i.Voucher).DistinctBy(v => v.ScanId).ToList();

    [Fact]
    public async Task A_budget_of_5000_gives_exactly_5000_to_20000_concurrent_requests()
    {
        var (campaignId, tenantId) = (Guid.NewGuid(), Guid.NewGuid());
        var requests = Flood(campaignId, tenantId, new RewardTerms(5_000, 500, "CNY", 30));
        var started = DateTime.UtcNow;

        var results = await IssueAllAsync(store.Issuer(buckets: 8), requests);

        output.WriteLine($"{requests.Count} requests in {(DateTime.UtcNow - started).TotalSeconds:0.0} s");
        var issued = Issued(results);
        Assert.Equal(5_000, issued.Count);
        Assert.Equal(5_000, issued.Select(v => v.Code).Distinct().Count());
        Assert.All(issued.GroupBy(v => v.UserId), user => Assert.Single(user));
        AssertDuplicatesAnsweredAlike(results);
        Assert.Equal(2_000, requests.Count - requests.Select(r => r.ScanId).Distinct().Count());
        Assert.Equal(5_000, await store.ScalarAsync("SELECT count(*) FROM vouchers WHERE campaign_id = $1", campaignId));
        Assert.Equal(1, await store.ScalarAsync("SELECT max(n) FROM (SELECT count(*) AS n FROM vouchers WHERE campaign_id = $1 GROUP BY user_id) t",
            campaignId));

        var report = await store.Reconciliation.CheckAsync(campaignId, default);
        Assert.NotNull(report);
        Assert.Empty(report.LedgerProblems);
        Assert.Equal((5_000, 0L, 0L), (report.Issued, report.Remaining, report.RedisDrift));
    }

    [Fact]
    public async Task A_red_envelope_pool_is_given_out_whole_to_20000_concurrent_requests()
    {
        var (campaignId, tenantId) = (Guid.NewGuid(), Guid.NewGuid());
        const long pool = 1_000_000; // 10,000 CNY in 5,000 envelopes
        var requests = Flood(campaignId, tenantId, new RewardTerms(5_000, 0, "CNY", 30, pool));

        var results = await IssueAllAsync(store.Issuer(buckets: 8), requests);

        var issued = Issued(results);
        Assert.Equal(5_000, issued.Count);
        Assert.Equal(pool, issued.Sum(v => v.ValueCents));
        Assert.All(issued, v => Assert.InRange(v.ValueCents, 1, pool));
        Assert.All(issued.GroupBy(v => v.UserId), user => Assert.Single(user));
        AssertDuplicatesAnsweredAlike(results);
        Assert.Equal(pool, await store.ScalarAsync("SELECT sum(amount_cents) FROM red_envelopes WHERE campaign_id = $1 AND scan_id IS NOT NULL", campaignId));
        Assert.Equal(pool, await store.ScalarAsync("SELECT sum(value_cents) FROM vouchers WHERE campaign_id = $1", campaignId));
        var report = await store.Reconciliation.CheckAsync(campaignId, default);
        Assert.Empty(report!.LedgerProblems);
        Assert.Equal(0, report.RedisDrift);
    }

    [Fact]
    public async Task Flushing_Redis_in_the_middle_of_issuing_leaves_the_count_exact()
    {
        var (campaignId, tenantId) = (Guid.NewGuid(), Guid.NewGuid());
        var terms = new RewardTerms(3_000, 500, "CNY", 30);
        var requests = Flood(campaignId, tenantId, terms, originals: 9_000, users: 4_000, duplicates: 1_000);
        var flushed = 0;
        var server = store.Redis.GetServers()[0];

        var results = await IssueAllAsync(store.Issuer(buckets: 4), requests, async done =>
        {
            if (done == requests.Count / 3 && Interlocked.Exchange(ref flushed, 1) == 0)
                await server.FlushDatabaseAsync(VoucherStore.RedisDatabase);
        });

        Assert.Equal(1, flushed);
        var issued = Issued(results);
        output.WriteLine($"issued {issued.Count}; answers {results.Length}");
        Assert.Equal(3_000, issued.Count);
        Assert.Equal(3_000, await store.ScalarAsync("SELECT count(*) FROM vouchers WHERE campaign_id = $1", campaignId));
        Assert.Equal(1, await store.ScalarAsync("SELECT max(n) FROM (SELECT count(*) AS n FROM vouchers WHERE campaign_id = $1 GROUP BY user_id) t",
            campaignId));
        AssertDuplicatesAnsweredAlike(results);

        // A redelivery of an issued scan after the flush still gets its voucher; a new user gets nothing.
        var first = results.First(r => r.Outcome is VoucherIssuer.Outcome.Issued);
        var again = await store.Issuer(buckets: 4).IssueAsync(first.Request, default);
        Assert.Equal(((VoucherIssuer.Outcome.Issued)first.Outcome).Voucher.Code, Assert.IsType<VoucherIssuer.Outcome.Issued>(again).Voucher.Code);
        var late = await store.Issuer(buckets: 4).IssueAsync(VoucherStore.Request(campaignId, tenantId, "late-user", terms, OnePerUser), default);
        Assert.Equal(RewardDenialReason.BudgetExhausted, Assert.IsType<VoucherIssuer.Outcome.Denied>(late).Reason);
        var report = await store.Reconciliation.CheckAsync(campaignId, default);
        Assert.Empty(report!.LedgerProblems);
        output.WriteLine($"Redis drift after the flush: {report.RedisDrift}");
    }
}
