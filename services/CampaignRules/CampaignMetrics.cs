using System.Diagnostics.Metrics;
using ArFleet.Contracts;
using ArFleet.ServiceDefaults.Observability;

namespace ArFleet.CampaignRules;

/// <summary>Fraud per campaign as an operator watches it: each scan a campaign applied to that showed a fraud signal,
/// counted once, with what the campaign's policy did with it.</summary>
public sealed class CampaignMetrics
{
    private readonly Counter<long> fraudScans;

    public CampaignMetrics(IMeterFactory meters)
    {
        fraudScans = meters.Create(FleetInstruments.CampaignRulesMeter).CreateCounter(FleetInstruments.CampaignFraudScans);
        fraudScans.Add(0); // served from the start, so a rate over it is 0 rather than absent
    }

    public void Resolved(ScanResolved scan)
    {
        if (scan.Fraud is not { } fraud) return;
        foreach (var signal in new[] { FraudSignals.Recapture, FraudSignals.DuplicateImage }.Where(fraud.Reasons.Contains))
        {
            var refused = scan.Outcome == (signal == FraudSignals.Recapture ? ScanOutcome.SuspectedRecapture : ScanOutcome.DuplicateImage);
            fraudScans.Add(1, new KeyValuePair<string, object?>("campaign_id", scan.CampaignId.ToString()),
                new KeyValuePair<string, object?>("signal", signal), new KeyValuePair<string, object?>("action", refused ? "refused" : "flagged"));
        }
    }
}
