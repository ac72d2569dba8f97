using Microsoft.Extensions.Options;

namespace ArFleet.VoucherIssuance;

/// <summary>Compares each bucket's Redis stock with the ledger's unissued quota, and the ledger with itself
/// (issued counters against voucher rows, quotas against the budget, unclaimed envelopes against quota).
/// Redis drift is expected while reservations are in flight and after a flush before reseeding (the ledger
/// corrects it on the next slow path); ledger inconsistencies are never expected.</summary>
public sealed class Reconciliation(VoucherLedger ledger, RedisBudgetGate gate)
{
    public record BucketReport(int Bucket, int Quota, int Issued, long VouchersRecorded, long? UnclaimedEnvelopes,
        bool RedisSeeded, long RedisStock, bool RedisExhausted, long Drift);

    public record Report(Guid CampaignId, Guid TenantId, int Budget, long? PoolCents, int Issued, long Remaining, long RedisDrift,
        IReadOnlyList<string> LedgerProblems, IReadOnlyList<BucketReport> Buckets);

    public async Task<Report?> CheckAsync(Guid campaignId, CancellationToken cancellationToken)
    {
        if (await ledger.ReadLayoutAsync(campaignId, cancellationToken) is not { } layout) return null;
        var states = await ledger.BucketStatesAsync(campaignId, cancellationToken);
        var buckets = new List<BucketReport>();
        var problems = new List<string>();
        foreach (var s in states)
        {
            var redis = await gate.ReadBucketAsync(campaignId, s.Bucket);
            var remaining = s.Quota - s.Issued;
            // An unseeded bucket is rebuilt from the ledger before it issues again: no drift to report.
            var drift = redis.Seeded ? Math.Max(redis.Stock, 0) - remaining : 0;
            buckets.Add(new BucketReport(s.Bucket, s.Quota, s.Issued, s.VouchersRecorded, layout.IsRedEnvelopePool ? s.UnclaimedEnvelopes : null,
                redis.Seeded, redis.Stock, redis.Exhausted, drift));
            if (s.VouchersRecorded != s.Issued) problems.Add($"bucket {s.Bucket}: issued counter {s.Issued}, voucher rows {s.VouchersRecorded}");
            if (layout.IsRedEnvelopePool && s.UnclaimedEnvelopes != remaining)
                problems.Add($"bucket {s.Bucket}: {remaining} unissued, {s.UnclaimedEnvelopes} unclaimed envelopes");
            if (redis.Exhausted && remaining > 0) problems.Add($"bucket {s.Bucket}: Redis says exhausted with {remaining} unissued");
        }
        if (states.Sum(s => s.Quota) != layout.Budget) problems.Add($"quotas sum to {states.Sum(s => s.Quota)}, the budget is {layout.Budget}");
        return new Report(campaignId, layout.TenantId, layout.Budget, layout.PoolCents, states.Sum(s => s.Issued), states.Sum(s => (long)s.Quota - s.Issued),
            buckets.Sum(b => b.Drift), problems, buckets);
    }
}

/// <summary>Runs the reconciliation over recently active campaigns, logging drift and ledger problems and
/// recording them as metrics (VoucherMetrics).</summary>
public sealed class ReconciliationService(Reconciliation reconciliation, VoucherLedger ledger, IOptions<VoucherOptions> options,
    VoucherMetrics metrics, ILogger<ReconciliationService> logger) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        if (options.Value.ReconcileInterval <= TimeSpan.Zero) return;
        using var timer = new PeriodicTimer(options.Value.ReconcileInterval);
        while (await timer.WaitForNextTickAsync(stoppingToken))
        {
            try
            {
                var reports = new List<Reconciliation.Report>();
                foreach (var campaignId in await ledger.RecentlyActiveCampaignsAsync(stoppingToken))
                {
                    if (await reconciliation.CheckAsync(campaignId, stoppingToken) is not { } report) continue;
                    reports.Add(report);
                    if (report.LedgerProblems.Count > 0)
                        logger.LogError("Campaign {CampaignId}: ledger problems: {Problems}", campaignId, string.Join("; ", report.LedgerProblems));
                    else if (report.RedisDrift != 0)
                        logger.LogWarning("Campaign {CampaignId}: Redis stock differs from the ledger by {Drift} (issued {Issued}, remaining {Remaining})",
                            campaignId, report.RedisDrift, report.Issued, report.Remaining);
                }
                metrics.Reconciled(reports);
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                logger.LogWarning(e, "Reconciliation failed; trying again in {Interval}", options.Value.ReconcileInterval);
            }
        }
    }
}
