using OpenCvSharp;

namespace ArFleet.Recognition.Engine;

/// <summary>Judges, after a target verified, whether the scan is a photo of a screen or a print of it (see RecaptureCues),
/// with the committed RecaptureModel. A scan too small, too close, too dark or too bright to judge says so instead of
/// being suspected.</summary>
public sealed class RecaptureDetector(RecaptureModel? model = null)
{
    private readonly RecaptureModel model = model ?? RecaptureModel.Committed;

    // Reason names for the cues, as the scan's fraud.reasons shows them.
    private static readonly Dictionary<string, string> ReasonOf = new()
    {
        ["periodicPeak"] = "periodicPattern", ["chromaAliasing"] = "colourMoire",
        ["clipped"] = "clippedHighlights", ["selfLit"] = "selfLit", ["ringUniformity"] = "bezel", ["ringContrast"] = "bezel",
        ["colourDisagreement"] = "colourShift", ["saturationShift"] = "colourShift", ["fineTexture"] = "fineTexture",
        ["toneCurvature"] = "colourShift", ["chromaMixing"] = "colourShift",
    };

    /// <summary>The assessment of the scan (its original pixels, BGR) where the match put the target (corners in those pixels);
    /// reference is the target's ColourSignature, when it has one.</summary>
    public RecaptureAssessment Assess(Mat colour, double[][] corners, byte[]? reference)
    {
        var points = corners.Select(c => new Point2f((float)c[0], (float)c[1])).ToArray();
        var (cues, cannotTell) = RecaptureCues.Measure(colour, points, reference);
        if (cues is null) return RecaptureAssessment.CannotTell(cannotTell!);
        var score = model.Score(cues);
        if (score < model.Threshold) return new RecaptureAssessment(Math.Round(score, 3), false, []);
        // The cues that pushed the score up most, strongest first.
        var reasons = model.Contributions(cues).Select((value, i) => (Value: value, Reason: ReasonOf[RecaptureCues.Names[i]]))
            .Where(c => c.Value > 0.5).OrderByDescending(c => c.Value).Select(c => c.Reason).Distinct().Take(3);
        return new RecaptureAssessment(Math.Round(score, 3), true, ["recapture", .. reasons]);
    }

    /// <summary>The same, decoding the scan in colour (only images FeatureExtractor accepted).</summary>
    public RecaptureAssessment Assess(byte[] image, double[][] corners, byte[]? reference)
    {
        using var colour = Cv2.ImDecode(image, ImreadModes.Color);
        return Assess(colour, corners, reference);
    }
}
