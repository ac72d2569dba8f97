using Microsoft.Extensions.Options;

namespace ArFleet.IsvWebhook;

/// <summary>Deletes finished deliveries, their payloads and attempt logs, once they are older than
/// Webhooks:PayloadRetention. Pending deliveries are never deleted.</summary>
public sealed class DeliveryRetention(DeliveryQueue queue, IOptions<WebhookOptions> options, TimeProvider clock, ILogger<DeliveryRetention> logger)
    : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(options.Value.RetentionSweepInterval, clock);
        do
        {
            try
            {
                var deleted = await queue.DeleteFinishedBeforeAsync(clock.GetUtcNow() - options.Value.PayloadRetention, stoppingToken);
                if (deleted > 0) logger.LogInformation("Deleted {Count} webhook deliveries past their retention", deleted);
            }
            catch (Exception e) when (!stoppingToken.IsCancellationRequested)
            {
                logger.LogError(e, "Deleting webhook deliveries past their retention failed; trying again at the next sweep");
            }
        } while (await WaitAsync(timer, stoppingToken));
    }

    private static async Task<bool> WaitAsync(PeriodicTimer timer, CancellationToken stoppingToken)
    {
        try { return await timer.WaitForNextTickAsync(stoppingToken); }
        catch (OperationCanceledException) { return false; }
    }
}
