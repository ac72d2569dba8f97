using ArFleet.Contracts;
using MassTransit;

namespace ArFleet.Ingest;

/// <summary>Stores a scan's terminal result and wakes the requests waiting for it. Writing the same result
/// twice is harmless, so redelivery needs no extra guard.</summary>
public sealed class ScanResolvedConsumer(ScanStore scans, ScanWaiters waiters, ILogger<ScanResolvedConsumer> logger) : IConsumer<ScanResolved>
{
    public async Task Consume(ConsumeContext<ScanResolved> context)
    {
        var result = context.Message;
        var scan = await scans.GetAsync(result.ScanId);
        if (scan is null)
        {
            logger.LogWarning("Result for unknown or expired scan {ScanId} ignored", result.ScanId);
            return;
        }
        await scans.SaveAsync(scan with
        {
            Status = result.Status,
            Outcome = result.Outcome,
            Target = result.Target,
            Reward = result.Reward,
            Action = result.Action,
            ResolvedAt = result.OccurredAt,
        });
        await waiters.AnnounceAsync(result.ScanId);
    }
}
