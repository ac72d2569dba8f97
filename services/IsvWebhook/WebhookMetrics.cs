using System.Diagnostics.Metrics;
using ArFleet.ServiceDefaults.Observability;
using Microsoft.Extensions.Options;

namespace ArFleet.IsvWebhook;

/// <summary>Delivery attempts by result as they are recorded, and the pending backlog as last sampled.</summary>
public sealed class WebhookMetrics
{
    private readonly Counter<long> attempts;
    private Backlog? backlog; // replaced whole by each sample, read by the scrape

    private sealed record Backlog(long Due, long Scheduled);

    public WebhookMetrics(IMeterFactory meters)
    {
        var meter = meters.Create(FleetInstruments.IsvWebhookMeter);
        attempts = meter.CreateCounter(FleetInstruments.WebhookAttempts);
        meter.CreateObservableGauge(FleetInstruments.WebhookBacklog, ObserveBacklog);
    }

    /// <summary>Counts one delivery attempt by its result.</summary>
    /// <param name="succeeded">Whether the endpoint answered 2xx.</param>
    /// <param name="retryAt">When a failed delivery is tried again; null when it will not be.</param>
    public void Attempted(bool succeeded, DateTimeOffset? retryAt) =>
        attempts.Add(1, new KeyValuePair<string, object?>("result", succeeded ? "succeeded" : retryAt is null ? "failed" : "retrying"));

    public void Sampled(long due, long scheduled) => backlog = new Backlog(due, scheduled);

    private IEnumerable<Measurement<long>> ObserveBacklog()
    {
        if (backlog is not { } sampled) yield break; // not sampled yet: no value rather than a false zero
        yield return new Measurement<long>(sampled.Due, new KeyValuePair<string, object?>("state", "due"));
        yield return new Measurement<long>(sampled.Scheduled, new KeyValuePair<string, object?>("state", "scheduled"));
    }
}

/// <summary>Reads the backlog from the delivery queue every ArFleet:Metrics:SampleInterval.</summary>
public sealed class WebhookBacklogSampler(DeliveryQueue queue, WebhookMetrics metrics, IOptions<MetricsOptions> options, ILogger<WebhookBacklogSampler> logger)
    : MetricSampler(options, logger)
{
    protected override async Task SampleAsync(CancellationToken cancellationToken)
    {
        var (due, scheduled) = await queue.BacklogAsync(cancellationToken);
        metrics.Sampled(due, scheduled);
    }
}
