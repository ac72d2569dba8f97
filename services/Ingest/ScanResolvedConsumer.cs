using ArFleet.Contracts;
using MassTransit;

namespace ArFleet.Ingest;

/// <summary>Stores a scan's terminal result and wakes the requests waiting for it. Storing the same result twice is
/// harmless, so redelivery needs no extra guard.</summary>
public sealed class ScanResolvedConsumer(ScanStore scans, ScanWaiters waiters, ScanMetrics metrics, ILogger<ScanResolvedConsumer> logger)
    : IConsumer<ScanResolved>
{
    public async Task Consume(ConsumeContext<ScanResolved> context)
    {
        if (await scans.ResolveAsync(context.Message, context.CancellationToken) is not { } stored)
        {
            logger.LogDebug("Result for scan {ScanId} ignored: unknown, expired or resolved already", context.Message.ScanId);
            return;
        }
        metrics.Resolved(context.Message);
        await waiters.AnnounceAsync(stored);
    }
}
