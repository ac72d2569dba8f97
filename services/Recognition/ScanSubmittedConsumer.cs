using System.Diagnostics;
using ArFleet.Contracts;
using ArFleet.ServiceDefaults;
using MassTransit;

namespace ArFleet.Recognition;

/// <summary>Recognises the targets in a submitted frame (every one that verifies, best first) and, once recognised, judges
/// whether the frame is a photo of a screen or a print (RecaptureDetector) and whether another user or device sent the
/// same image (ImageReuseRegistry), and counts who scans from which device (DeviceActivityRegistry): these go to
/// campaign-rules as the scan's fraud signals, whose campaign policy decides. A frame that cannot be used is a result
/// (ScanUnrecognized with the reason), not a failure: the worker goes on with the next scan.</summary>
public sealed class ScanSubmittedConsumer(
    ImageClaimCheck claimCheck, RecognitionResults results, ScanRecognizer recognizer, ImageReuseRegistry reuse, DeviceActivityRegistry devices,
    RecognitionMetrics metrics, ILogger<ScanSubmittedConsumer> logger) : IConsumer<ScanSubmitted>
{
    public async Task Consume(ConsumeContext<ScanSubmitted> context)
    {
        var started = Stopwatch.GetTimestamp();
        var scan = context.Message;
        var image = await claimCheck.GetAsync(scan.ImageKey);
        if (image is null)
        {
            // Delivered again after it was answered (the frame was removed then): the same result. Otherwise the frame is gone.
            if (await results.FindAsync(scan.ScanId) is { } published)
            {
                logger.LogInformation("Scan {ScanId} delivered again after it was recognised: its result is published again", scan.ScanId);
                await context.Publish(published, published.GetType());
                return;
            }
            var expired = Unrecognized(scan, UnrecognizedReason.ImageExpired, "The scan's image is no longer stored: scan again.");
            await context.Publish(expired);
            metrics.Published(expired, Stopwatch.GetElapsedTime(started));
            return;
        }

        var result = Recognize(scan, image, out var fingerprint);
        if (result is ScanRecognized recognized && fingerprint is { } prints)
        {
            if (await reuse.EarlierSenderAsync(recognized.Target.TargetId, prints, scan.ScanId, scan.UserId, scan.DeviceId) is { } earlier)
            {
                logger.LogInformation("Scan {ScanId} sends the image of scan {EarlierScanId} again", scan.ScanId, earlier);
                recognized = recognized with { Fraud = recognized.Fraud! with { Reasons = [.. recognized.Fraud.Reasons, FraudSignals.DuplicateImage] } };
            }
            result = recognized with { Devices = await devices.RecordAsync(recognized.Target.TargetId, scan.TenantId, scan.UserId, scan.DeviceId) };
        }
        await context.Publish(result, result.GetType());
        metrics.Published(result, Stopwatch.GetElapsedTime(started));
        // Only once the result is on its way, and kept in its place: a redelivery publishes it again (RecognitionResults).
        await results.StoreAsync(scan.ScanId, result);
        await claimCheck.RemoveAsync(scan.ImageKey);
    }

    private object Recognize(ScanSubmitted scan, byte[] image, out (ulong Region, ulong Frame)? fingerprint)
    {
        fingerprint = null;
        ScanRecognition? recognition;
        try
        {
            recognition = recognizer.Recognize(image);
        }
        catch (ImageRejectedException e)
        {
            logger.LogInformation("Scan {ScanId} rejected: {Reason}", scan.ScanId, e.Message);
            return Unrecognized(scan, UnrecognizedReason.InvalidImage, e.Message);
        }

        if (recognition is null) return Unrecognized(scan, UnrecognizedReason.NoMatch, null);
        var (matches, recapture, prints) = recognition;
        fingerprint = prints;
        var targets = matches.Select(m => new OwnedTarget(m.TenantId, new RecognizedTarget(m.TargetId, m.Confidence, m.Corners))).ToArray();
        return new ScanRecognized(scan.ScanId, targets[0].TenantId, scan.TenantId, scan.UserId, scan.DeviceId, scan.Location,
            targets[0].Target, scan.OccurredAt, new FraudSignals(recapture.Score, recapture.Reasons), targets);
    }

    private static ScanUnrecognized Unrecognized(ScanSubmitted scan, UnrecognizedReason reason, string? detail) =>
        new(scan.ScanId, scan.TenantId, reason, detail, DateTimeOffset.UtcNow);
}

/// <summary>Recognition is CPU-bound: take as many frames at once as there are cores (and hold a few more:
/// IndexConsumersStarter.CpuBoundPrefetch).</summary>
public sealed class ScanSubmittedConsumerDefinition : ConsumerDefinition<ScanSubmittedConsumer>
{
    public ScanSubmittedConsumerDefinition() => ConcurrentMessageLimit = Environment.ProcessorCount;
}
