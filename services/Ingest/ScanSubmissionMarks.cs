using System.Threading.Channels;
using Microsoft.Extensions.Options;

namespace ArFleet.Ingest;

/// <summary>Records, in batches, that the broker confirmed scans' ScanSubmitted, off the request path: one UPDATE for
/// all the scans confirmed in the last <see cref="Delay"/>, of those still processing, instead of one per request. Most
/// scans resolve within it and are never marked. A mark that is lost (the instance dies first, the database is away)
/// only makes ScanSubmissionRelay send that scan once more, which every consumer shrugs off; so the batch commits
/// without waiting for its WAL flush.</summary>
public sealed class ScanSubmissionMarks(ScanStore store, IOptions<ScanDeliveryOptions> options, ILogger<ScanSubmissionMarks> logger)
    : BackgroundService
{
    private const int MaxBatch = 1000;

    /// <summary>Well inside RelayAfter, so that the relay does not send scans whose mark is only waiting.</summary>
    private TimeSpan Delay => TimeSpan.FromTicks(Math.Min(TimeSpan.FromSeconds(1).Ticks, options.Value.RelayAfter.Ticks / 4));

    private readonly Channel<Guid> confirmed = Channel.CreateUnbounded<Guid>(new UnboundedChannelOptions { SingleReader = true });

    public void Add(Guid scanId) => confirmed.Writer.TryWrite(scanId);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        try
        {
            while (await confirmed.Reader.WaitToReadAsync(stoppingToken))
            {
                await Task.Delay(Delay, stoppingToken);
                await FlushAsync(CancellationToken.None);
            }
        }
        catch (OperationCanceledException) { } // StopAsync marks what is left
    }

    /// <summary>Marks what was confirmed before the stop, once ExecuteAsync has ended, and also when it never ran
    /// (BackgroundService skips it for a service stopped right after it started).</summary>
    public override async Task StopAsync(CancellationToken cancellationToken)
    {
        await base.StopAsync(cancellationToken);
        await FlushAsync(CancellationToken.None);
    }

    /// <summary>Everything confirmed so far, in batches of at most MaxBatch.</summary>
    private async Task FlushAsync(CancellationToken cancellationToken)
    {
        while (await FlushBatchAsync(cancellationToken) == MaxBatch) { }
    }

    private async Task<int> FlushBatchAsync(CancellationToken cancellationToken)
    {
        var batch = new List<Guid>();
        while (batch.Count < MaxBatch && confirmed.Reader.TryRead(out var scanId)) batch.Add(scanId);
        if (batch.Count == 0) return 0;
        // Whatever the failure, a lost mark costs one more send by the relay: never worth stopping the service for.
        try { await store.MarkSubmittedAsync(batch, cancellationToken); }
        catch (Exception e)
        {
            logger.LogWarning("Recording {Count} confirmed submissions failed; the relay sends those scans again: {Error}", batch.Count, e.Message);
        }
        return batch.Count;
    }
}
