using OpenCvSharp;

namespace ArFleet.Recognition;

/// <summary>A target's colours at 16 × 16 px. Features are computed in grey, where a 福 printed black on red and
/// the same 福 printed black on cream are one image; their colours tell them apart.</summary>
public static class ColourSignature
{
    public const int Side = 16;
    /// <summary>Agreement below which a verified match's colours are taken to differ from its target's, so the index
    /// looks further for a colour twin. Most scans of the right target measure over 0.9 and colour twins 0.6 or less;
    /// an overexposed scan, whose light plate clips to white, can measure far less, which is why agreement only ranks
    /// candidates that explain the same region and never rejects a match.</summary>
    public const double MinAgreement = 0.75;
    /// <summary>Agreements this close are the same colours measured twice (noise, blur, JPEG).</summary>
    public const double AgreementTolerance = 0.1;

    /// <summary>The colour image reduced to Side × Side BGR bytes.</summary>
    public static byte[] Of(Mat colour)
    {
        using var small = new Mat();
        Cv2.Resize(colour, small, new Size(Side, Side), 0, 0, InterpolationFlags.Area);
        small.GetArray(out Vec3b[] pixels);
        return pixels.SelectMany(p => new[] { p.Item0, p.Item1, p.Item2 }).ToArray();
    }

    /// <summary>How well the query's colours inside the target's corners (query pixels) agree with the signature: R² of
    /// one gain for all channels plus a bias per channel. A lighting change or a white-balance offset keeps it near 1;
    /// a plate or print of another hue does not, since no single gain fits its channels' contrasts.</summary>
    public static double Agreement(byte[] signature, Mat queryColour, Point2f[] corners)
    {
        const int warpedSide = 4 * Side; // warp larger, then average down, so the thumbnail does not alias
        Point2f[] square = [new(0, 0), new(warpedSide, 0), new(warpedSide, warpedSide), new(0, warpedSide)];
        using var toSquare = Cv2.GetPerspectiveTransform(corners, square);
        using var warped = new Mat();
        Cv2.WarpPerspective(queryColour, warped, toSquare, new Size(warpedSide, warpedSide), InterpolationFlags.Linear, BorderTypes.Replicate);
        var seen = Of(warped);

        double[] targetMean = new double[3], seenMean = new double[3];
        for (var i = 0; i < signature.Length; i++) { targetMean[i % 3] += signature[i]; seenMean[i % 3] += seen[i]; }
        for (var c = 0; c < 3; c++) { targetMean[c] /= Side * Side; seenMean[c] /= Side * Side; }
        double covariance = 0, targetVariance = 0, seenVariance = 0;
        for (var i = 0; i < signature.Length; i++)
        {
            double t = signature[i] - targetMean[i % 3], s = seen[i] - seenMean[i % 3];
            covariance += t * s;
            targetVariance += t * t;
            seenVariance += s * s;
        }
        if (targetVariance < 1 || seenVariance < 1) return 0; // a flat image or view: nothing to compare
        var gain = covariance / targetVariance;
        if (gain <= 0) return 0; // light and dark swapped
        // Residual of the least-squares fit: seenVariance - gain * covariance.
        return 1 - (seenVariance - gain * covariance) / seenVariance;
    }
}
