namespace ArFleet.ServiceDefaults.Observability;

/// <summary>The fleet's own metrics, each on the meter named after the service that records it (the service's
/// application name, which Telemetry listens to). The series an operator reads: scans by outcome, recognition
/// latency, remaining budget and drift per campaign, webhook backlog and failures (deploy/observability).</summary>
public static class FleetInstruments
{
    public const string IngestMeter = "ArFleet.Ingest";
    public const string RecognitionMeter = "ArFleet.Recognition";
    public const string VoucherIssuanceMeter = "ArFleet.VoucherIssuance";
    public const string IsvWebhookMeter = "ArFleet.IsvWebhook";
    public const string CampaignRulesMeter = "ArFleet.CampaignRules";

    /// <summary>Tags: outcome (the API's camelCase ScanOutcome), status.</summary>
    public static readonly FleetInstrument ScansResolved = new(IngestMeter, "arfleet.scans.resolved", "{scan}", InstrumentKind.Counter,
        "Scan results stored by ingest, by outcome");

    /// <summary>Tags: result (recognized, noMatch, invalidImage, imageExpired).</summary>
    public static readonly FleetInstrument RecognitionDuration = new(RecognitionMeter, "arfleet.recognition.duration", "s", InstrumentKind.Histogram,
        "Time a recognition worker spends on one frame, from taking it to publishing its result");

    /// <summary>Tags: campaign_id. Sampled from the ledger every ArFleet:Metrics:SampleInterval.</summary>
    public static readonly FleetInstrument BudgetRemaining = new(VoucherIssuanceMeter, "arfleet.vouchers.budget.remaining", "{voucher}", InstrumentKind.Gauge,
        "Vouchers or envelopes the ledger has left to issue, per recently active campaign");

    /// <summary>Tags: campaign_id. Set by each reconciliation check.</summary>
    public static readonly FleetInstrument BudgetDrift = new(VoucherIssuanceMeter, "arfleet.vouchers.budget.drift", "{voucher}", InstrumentKind.Gauge,
        "Redis stock minus the ledger's unissued quota at the last reconciliation, per campaign");

    public static readonly FleetInstrument RedisDrift = new(VoucherIssuanceMeter, "arfleet.vouchers.redis_drift", "{voucher}", InstrumentKind.Histogram,
        "Redis stock minus the ledger's unissued quota, per campaign and check");

    public static readonly FleetInstrument LedgerProblems = new(VoucherIssuanceMeter, "arfleet.vouchers.ledger_problems", "{problem}", InstrumentKind.Counter,
        "Ledger inconsistencies found by reconciliation");

    /// <summary>Tags: state (due: waiting for a sender; scheduled: waiting for its next retry). Sampled every
    /// ArFleet:Metrics:SampleInterval.</summary>
    public static readonly FleetInstrument WebhookBacklog = new(IsvWebhookMeter, "arfleet.webhooks.backlog", "{delivery}", InstrumentKind.Gauge,
        "Webhook deliveries still pending");

    /// <summary>Tags: result (succeeded; retrying: failed, tried again later; failed: failed with no retry left).</summary>
    public static readonly FleetInstrument WebhookAttempts = new(IsvWebhookMeter, "arfleet.webhooks.attempts", "{attempt}", InstrumentKind.Counter,
        "Webhook delivery attempts, by result");

    /// <summary>Tags: campaign_id, signal (recapture, duplicateImage), action (refused, or flagged: rewarded with the signal shown).</summary>
    public static readonly FleetInstrument CampaignFraudScans = new(CampaignRulesMeter, "arfleet.campaigns.fraud_scans", "{scan}", InstrumentKind.Counter,
        "Scans a campaign applied to that showed a fraud signal, by signal and by what the campaign's policy did");

    public static IReadOnlyList<FleetInstrument> All { get; } =
        [ScansResolved, RecognitionDuration, BudgetRemaining, BudgetDrift, RedisDrift, LedgerProblems, WebhookBacklog, WebhookAttempts,
            CampaignFraudScans];
}
