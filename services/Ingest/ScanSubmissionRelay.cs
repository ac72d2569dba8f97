using MassTransit;
using Microsoft.Extensions.Options;
using Npgsql;

namespace ArFleet.Ingest;

/// <summary>Sends ScanSubmitted for accepted scans the broker did not confirm at once (it was down, or the instance died
/// between the commit and the publish): the scans table is its own outbox. Sending one twice is harmless, since every
/// consumer downstream is idempotent per scan.</summary>
public sealed class ScanSubmissionRelay(
    NpgsqlDataSource db, ScanStore store, IBus publish, IOptions<ScanDeliveryOptions> options, ILogger<ScanSubmissionRelay> logger)
    : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(options.Value.RelayInterval);
        while (await WaitAsync(timer, stoppingToken))
        {
            try
            {
                while (await RelayBatchAsync(stoppingToken) == Batch) { }
            }
            catch (Exception e) when (!stoppingToken.IsCancellationRequested)
            {
                logger.LogWarning("Relaying unsubmitted scans failed, trying again shortly: {Error}", e.Message);
            }
        }
    }

    private const int Batch = 100;

    private async Task<int> RelayBatchAsync(CancellationToken cancellationToken)
    {
        await using var connection = await db.OpenConnectionAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        var pending = await store.LockUnsubmittedAsync(connection, transaction, options.Value.RelayAfter, Batch, cancellationToken);
        if (pending.Count == 0) return 0;
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(TimeSpan.FromSeconds(30));
        await Task.WhenAll(pending.Select(p => publish.Publish(p.Request.ToEvent(p.ScanId, p.CreatedAt), timeout.Token)));
        await store.MarkSubmittedAsync(pending.Select(p => p.ScanId).ToList(), cancellationToken, transaction);
        await transaction.CommitAsync(cancellationToken);
        logger.LogInformation("Relayed {Count} scans the broker had not confirmed", pending.Count);
        return pending.Count;
    }

    private static async Task<bool> WaitAsync(PeriodicTimer timer, CancellationToken cancellationToken)
    {
        try { return await timer.WaitForNextTickAsync(cancellationToken); }
        catch (OperationCanceledException) { return false; }
    }
}
