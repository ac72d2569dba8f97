namespace ArFleet.Recognition.Engine;

/// <summary>Everything the engine does with one scan: the frame decoded once (see FeatureExtractor.ExtractQuery), the best
/// match in the index and, for a match, the recapture assessment and the image's fingerprints, all read from that one
/// decode. The recognition service runs this for each scan, and <c>./arfleet load</c> runs it alone on the same photos to
/// compare the service's cost with the engine's.</summary>
public sealed class ScanRecognizer(FeatureExtractor extractor, TargetIndex index, RecaptureDetector recaptures)
{
    /// <summary>Null when no target verifies.</summary>
    /// <exception cref="ImageRejectedException">The image is not one the engine reads (format, size, pixels).</exception>
    public ScanRecognition? Recognize(byte[] image)
    {
        using var features = extractor.ExtractQuery(image);
        if (index.Match(features) is not { } match) return null;
        var frame = features.Frame!;
        return new ScanRecognition(match, recaptures.Assess(frame, match.Corners, index.ColourOf(match.TargetId)),
            ImageFingerprint.Of(frame, match.Corners));
    }
}

/// <summary>A recognised scan: the match, whether it looks recaptured, and its perceptual hashes (target region, frame).</summary>
public sealed record ScanRecognition(TargetMatch Match, RecaptureAssessment Recapture, (ulong Region, ulong Frame) Fingerprint);
