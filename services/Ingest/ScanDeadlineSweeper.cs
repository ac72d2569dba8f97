using ArFleet.Contracts;
using MassTransit;
using Microsoft.Extensions.Options;
using Npgsql;

namespace ArFleet.Ingest;

/// <summary>Resolves scans still processing past their deadline as failed, and tells everyone (ScanResolved: the app's
/// waiters, the ISV's webhook), so no accepted scan stays processing for good, whatever was lost on the way. A result that
/// arrives later still replaces the failure (see ScanStore.ResolveAsync). Also drops scans past their lifetime.</summary>
public sealed class ScanDeadlineSweeper(
    NpgsqlDataSource db, ScanStore store, IBus publish, IOptions<ScanDeliveryOptions> options, ILogger<ScanDeadlineSweeper> logger)
    : BackgroundService
{
    public const string DeadlinePassed = "The scan could not be completed in time: scan again.";

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(options.Value.SweepInterval);
        try
        {
            while (await timer.WaitForNextTickAsync(stoppingToken))
            {
                try
                {
                    while (await SweepBatchAsync(stoppingToken) > 0) { }
                    await store.DeleteExpiredAsync(stoppingToken);
                }
                catch (Exception e) when (!stoppingToken.IsCancellationRequested)
                {
                    logger.LogWarning("Sweeping overdue scans failed, trying again shortly: {Error}", e.Message);
                }
            }
        }
        catch (OperationCanceledException) { }
    }

    private async Task<int> SweepBatchAsync(CancellationToken cancellationToken)
    {
        await using var connection = await db.OpenConnectionAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        var overdue = await store.LockOverdueAsync(connection, transaction, options.Value.Deadline, 100, cancellationToken);
        if (overdue.Count == 0) return 0;
        var now = DateTimeOffset.UtcNow;
        var failures = overdue.Select(scan => new ScanResolved(scan.ScanId, scan.AppTenantId, scan.AppTenantId,
            ScanStatus.Rejected, ScanOutcome.Failed, null, null, null, null, now, DeadlinePassed)).ToList();
        foreach (var failure in failures) await store.ResolveAsync(failure, cancellationToken, transaction);
        // Published before the commit: if the broker refuses, nothing is stored and the scans are swept again; if the
        // commit fails after the publish, a second ScanResolved later is harmless.
        await Task.WhenAll(failures.Select(failure => publish.Publish(failure, cancellationToken)));
        await transaction.CommitAsync(cancellationToken);
        logger.LogWarning("{Count} scans passed their deadline of {Deadline} and resolved as failed", overdue.Count, options.Value.Deadline);
        return overdue.Count;
    }
}
