using System.Diagnostics.Metrics;
using ArFleet.ServiceDefaults.Observability;
using Microsoft.Extensions.Options;

namespace ArFleet.VoucherIssuance;

/// <summary>Budgets as an operator watches them: what each recently active campaign has left (sampled from the
/// ledger) and how far Redis is from the ledger (each reconciliation), per campaign.</summary>
public sealed class VoucherMetrics
{
    private readonly Histogram<long> redisDrift;
    private readonly Counter<long> ledgerProblems;
    // Each replaced whole by its sampler, read by the scrape.
    private IReadOnlyDictionary<Guid, long> remaining = new Dictionary<Guid, long>();
    private IReadOnlyDictionary<Guid, long> drift = new Dictionary<Guid, long>();

    public VoucherMetrics(IMeterFactory meters)
    {
        var meter = meters.Create(FleetInstruments.VoucherIssuanceMeter);
        redisDrift = meter.CreateHistogram<long>(FleetInstruments.RedisDrift);
        ledgerProblems = meter.CreateCounter(FleetInstruments.LedgerProblems);
        meter.CreateObservableGauge(FleetInstruments.BudgetRemaining, () => PerCampaign(remaining));
        meter.CreateObservableGauge(FleetInstruments.BudgetDrift, () => PerCampaign(drift));
    }

    public void Reconciled(IReadOnlyCollection<Reconciliation.Report> reports)
    {
        foreach (var report in reports)
        {
            redisDrift.Record(report.RedisDrift);
            ledgerProblems.Add(report.LedgerProblems.Count);
        }
        drift = reports.ToDictionary(r => r.CampaignId, r => r.RedisDrift);
    }

    public void BudgetsSampled(IReadOnlyDictionary<Guid, long> remainingByCampaign) => remaining = remainingByCampaign;

    private static IEnumerable<Measurement<long>> PerCampaign(IReadOnlyDictionary<Guid, long> values) =>
        values.Select(v => new Measurement<long>(v.Value, new KeyValuePair<string, object?>("campaign_id", v.Key.ToString())));
}

/// <summary>Reads every recently active campaign's remaining budget from the ledger each ArFleet:Metrics:SampleInterval.</summary>
public sealed class BudgetSampler(VoucherLedger ledger, VoucherMetrics metrics, IOptions<MetricsOptions> options, ILogger<BudgetSampler> logger)
    : MetricSampler(options, logger)
{
    protected override async Task SampleAsync(CancellationToken cancellationToken) =>
        metrics.BudgetsSampled(await ledger.RemainingBudgetsAsync(cancellationToken));
}
