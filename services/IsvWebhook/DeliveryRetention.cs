using Microsoft.Extensions.Options;
using Npgsql;
using static ArFleet.IsvWebhook.DeliveryStatus;

namespace ArFleet.IsvWebhook;

/// <summary>Deletes finished deliveries, their payloads and attempt logs, once they are older than
/// Webhooks:PayloadRetention. Pending deliveries are never deleted.</summary>
public sealed class DeliveryRetention(NpgsqlDataSource db, IOptions<WebhookOptions> options, TimeProvider clock, ILogger<DeliveryRetention> logger)
    : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(options.Value.RetentionSweepInterval, clock);
        do
        {
            try
            {
                var deleted = await DeleteFinishedBeforeAsync(clock.GetUtcNow() - options.Value.PayloadRetention, stoppingToken);
                if (deleted > 0) logger.LogInformation("Deleted {Count} webhook deliveries past their retention", deleted);
            }
            catch (Exception e) when (!stoppingToken.IsCancellationRequested)
            {
                logger.LogError(e, "Deleting webhook deliveries past their retention failed; trying again at the next sweep");
            }
        } while (await WaitAsync(timer, stoppingToken));
    }

    /// <summary>Deletes finished deliveries (attempts go with them) created before <paramref name="before"/>, in batches
    /// so no lock is held long.</summary>
    public async Task<int> DeleteFinishedBeforeAsync(DateTimeOffset before, CancellationToken cancellationToken)
    {
        const int batchSize = 5000;
        var total = 0;
        while (true)
        {
            await using var command = db.CreateCommand(
                $"DELETE FROM deliveries WHERE id IN (SELECT id FROM deliveries WHERE status <> '{Pending}' AND created_at < $1 LIMIT $2)");
            command.Parameters.AddWithValue(before);
            command.Parameters.AddWithValue(batchSize);
            var deleted = await command.ExecuteNonQueryAsync(cancellationToken);
            total += deleted;
            if (deleted < batchSize) return total;
        }
    }

    private static async Task<bool> WaitAsync(PeriodicTimer timer, CancellationToken stoppingToken)
    {
        try { return await timer.WaitForNextTickAsync(stoppingToken); }
        catch (OperationCanceledException) { return false; }
    }
}
