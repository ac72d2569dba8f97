namespace ArFleet.Recognition.Engine;

/// <summary>Everything the engine does with one scan: the frame decoded once (see FeatureExtractor.ExtractQuery), every
/// match in the index (best first) and, for the best match, the recapture assessment and the image's fingerprints, all read from that one
/// decode. The recognition service runs this for each scan, and <c>./arfleet load</c> runs it alone on the same photos to
/// compare the service's cost with the engine's.</summary>
public sealed class ScanRecognizer(FeatureExtractor extractor, TargetIndex index, RecaptureDetector recaptures)
{
    /// <summary>Null when no target verifies.</summary>
    /// <exception cref="ImageRejectedException">The image is not one the engine reads (format, size, pixels).</exception>
    public ScanRecognition? Recognize(byte[] image)
    {
        using var features = extractor.ExtractQuery(image);
        var matches = index.MatchAll(features);
        if (matches.Count == 0) return null;
        var (match, frame) = (matches[0], features.Frame!);
        return new ScanRecognition(matches, recaptures.Assess(frame, match.Corners, index.ColourOf(match.TargetId)),
            ImageFingerprint.Of(frame, match.Corners));
    }
}

/// <summary>A recognised scan: every target in it (best first), whether it looks recaptured, and its perceptual hashes (the
/// best target's region, the frame), all judged on the best target.</summary>
public sealed record ScanRecognition(IReadOnlyList<TargetMatch> Matches, RecaptureAssessment Recapture, (ulong Region, ulong Frame) Fingerprint)
{
    public TargetMatch Match => Matches[0];
}
