using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace ArFleet.ServiceDefaults.Observability;

public sealed class MetricsOptions
{
    /// <summary>How often gauges read from a database (remaining budgets, the webhook backlog) are refreshed: about a
    /// Prometheus scrape interval, so a scrape sees a recent value without a query per scrape.</summary>
    public TimeSpan SampleInterval { get; set; } = TimeSpan.FromSeconds(15);
}

/// <summary>Refreshes a gauge's values from storage now and then, off the scrape: an observable gauge's callback must
/// not query a database. A failed sample is logged and the last values stay until the next one.</summary>
public abstract class MetricSampler(IOptions<MetricsOptions> options, ILogger logger) : BackgroundService
{
    protected abstract Task SampleAsync(CancellationToken cancellationToken);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(options.Value.SampleInterval);
        do
        {
            try
            {
                await SampleAsync(stoppingToken);
            }
            catch (Exception e) when (e is not OperationCanceledException || !stoppingToken.IsCancellationRequested)
            {
                logger.LogWarning(e, "Sampling metrics failed; trying again in {Interval}", options.Value.SampleInterval);
            }
        }
        while (await timer.WaitForNextTickAsync(stoppingToken));
    }
}
