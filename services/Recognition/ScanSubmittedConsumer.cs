using ArFleet.Contracts;
using ArFleet.ServiceDefaults;
using MassTransit;

namespace ArFleet.Recognition;

/// <summary>Recognises the target in a submitted frame. A frame that cannot be used is a result
/// (ScanUnrecognized with the reason), not a failure: the worker goes on with the next scan.</summary>
public sealed class ScanSubmittedConsumer(
    ImageClaimCheck claimCheck, FeatureExtractor extractor, TargetIndex index,
    ILogger<ScanSubmittedConsumer> logger) : IConsumer<ScanSubmitted>
{
    public async Task Consume(ConsumeContext<ScanSubmitted> context)
    {
        var scan = context.Message;
        var image = await claimCheck.GetAsync(scan.ImageKey);
        if (image is null)
        {
            await context.Publish(Unrecognized(scan, UnrecognizedReason.ImageExpired, "The scan's image is no longer stored: scan again."));
            return;
        }

        var result = Recognize(scan, image);
        await context.Publish(result, result.GetType());
        // Only once the result is on its way, and not at once: a redelivery finds the frame again (ImageClaimCheck.AfterUse).
        await claimCheck.RetireAsync(scan.ImageKey);
    }

    private object Recognize(ScanSubmitted scan, byte[] image)
    {
        TargetMatch? match;
        try
        {
            using var features = extractor.ExtractQuery(image);
            match = index.Match(features);
        }
        catch (ImageRejectedException e)
        {
            logger.LogInformation("Scan {ScanId} rejected: {Reason}", scan.ScanId, e.Message);
            return Unrecognized(scan, UnrecognizedReason.InvalidImage, e.Message);
        }

        if (match is null) return Unrecognized(scan, UnrecognizedReason.NoMatch, null);
        return new ScanRecognized(scan.ScanId, match.TenantId, scan.TenantId, scan.UserId, scan.DeviceId, scan.Location,
            new RecognizedTarget(match.TargetId, match.Confidence, match.Corners), scan.OccurredAt);
    }

    private static ScanUnrecognized Unrecognized(ScanSubmitted scan, UnrecognizedReason reason, string? detail) =>
        new(scan.ScanId, scan.TenantId, reason, detail, DateTimeOffset.UtcNow);
}

/// <summary>Recognition is CPU-bound: take as many frames at once as there are cores.</summary>
public sealed class ScanSubmittedConsumerDefinition : ConsumerDefinition<ScanSubmittedConsumer>
{
    public ScanSubmittedConsumerDefinition() => ConcurrentMessageLimit = Environment.ProcessorCount;
}
