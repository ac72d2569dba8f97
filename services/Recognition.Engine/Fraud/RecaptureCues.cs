using OpenCvSharp;
using static ArFleet.Recognition.Engine.RecognitionThresholds;

namespace ArFleet.Recognition.Engine;

/// <summary>What a screen or a print leaves in a photo of it, measured on the scan's target region rectified by the match's
/// corners (at about the scan's own resolution, so that moiré, which sampling made, is kept) and on the frame around it:
/// periodic spectral peaks (a screen's subpixel grid or a halftone screen beating with the sensor's), the share of fine
/// detail in chroma (a Bayer sensor's colour aliasing on a fine pattern), clipped highlights and a region
/// brighter than its surroundings (a screen emits its own light), a uniform ring of another brightness just outside the
/// target (a bezel or a paper margin), colours off the target's own (gamma, gamut clipping, ink) and fine texture beyond the
/// surroundings'. Each cue is one number; RecaptureModel weighs them.</summary>
public static class RecaptureCues
{
    public static readonly string[] Names =
        ["periodicPeak", "chromaAliasing", "clipped", "selfLit", "ringUniformity", "ringContrast", "colourDisagreement", "saturationShift", "fineTexture",
        "toneCurvature", "chromaMixing"];

    /// <summary>The cues, or the reason the scan cannot tell (the region is too small, partly outside the frame, too dark or
    /// overexposed).</summary>
    public static (double[]? Cues, string? CannotTell) Measure(Mat colour, Point2f[] corners, byte[]? reference)
    {
        var sides = Enumerable.Range(0, 4).Select(i => Distance(corners[i], corners[(i + 1) % 4])).ToArray();
        if (sides.Min() < Recapture.MinSide) return (null, "tooSmallToJudge");
        if (VisibleShare(corners, colour.Width, colour.Height) < Recapture.MinVisibleShare) return (null, "closeUp");

        // The rectified region at about its resolution in the scan (a power of two for the spectrum).
        var side = Math.Min(Recapture.MaxRegionSide, 1 << (int)Math.Floor(Math.Log2(sides.Average())));
        using var region = Warp(colour, corners, 0, 1, side);
        using var grey = new Mat();
        Cv2.CvtColor(region, grey, ColorConversionCodes.BGR2GRAY);
        var meanLuma = Cv2.Mean(grey).Val0;
        if (meanLuma < Recapture.MinMeanLuma) return (null, "tooDark");
        var clipped = ClippedShare(region);
        if (clipped > Recapture.MaxClippedShare) return (null, "overexposed");

        using var ycrcb = new Mat();
        Cv2.CvtColor(region, ycrcb, ColorConversionCodes.BGR2YCrCb);
        var planes = ycrcb.Split();
        try
        {
            var periodic = PeakProminence(planes[0]);
            var (lumaDetail, crDetail, cbDetail) = (Detail(planes[0], null), Detail(planes[1], null), Detail(planes[2], null));
            var chromaAliasing = (crDetail + cbDetail) / (lumaDetail + 1);

            // The surroundings, rectified in target units from -0.35 to 1.35 at half the region's side: a ring just outside the
            // target (0.01-0.12 beyond its edge) and the scene further out (0.15-0.35), read only where the frame has pixels.
            var contextSide = side / 2;
            using var context = Warp(colour, corners, -Surround.Outer, 1 + 2 * Surround.Outer, contextSide);
            using var inFrame = InFrame(colour, corners, -Surround.Outer, 1 + 2 * Surround.Outer, contextSide);
            using var contextGrey = new Mat();
            Cv2.CvtColor(context, contextGrey, ColorConversionCodes.BGR2GRAY);
            using var ring = Band(contextSide, Surround.RingFrom, Surround.RingTo, inFrame);
            using var outer = Band(contextSide, Surround.OuterFrom, Surround.Outer, inFrame);
            var (ringMean, ringStd) = MeanStd(contextGrey, ring);
            var (outerMean, _) = MeanStd(contextGrey, outer);
            var selfLit = (meanLuma + 10) / (outerMean + 10);
            var ringUniformity = ringStd / (ringMean + 10);
            var ringContrast = Math.Abs(ringMean - outerMean) / 255;
            var outerDetail = Detail(contextGrey, outer) / 2; // at half the resolution, detail is about twice as strong a pixel
            var fineTexture = (lumaDetail + 1) / (outerDetail + 1);
            var (disagreement, saturation, curvature, mixing) = reference is null ? (0.0, 0.0, 0.0, 0.0) : ColourShift(reference, colour, corners);
            return ([periodic, chromaAliasing, clipped, selfLit, ringUniformity, ringContrast, disagreement, saturation, fineTexture,
                curvature, mixing], null);
        }
        finally
        {
            foreach (var plane in planes) plane.Dispose();
        }
    }

    /// <summary>The square of <paramref name="side"/> px showing target units from <paramref name="from"/> to from + span on
    /// both axes (black outside the frame).</summary>
    private static Mat Warp(Mat colour, Point2f[] corners, double from, double span, int side)
    {
        using var toSquare = ToSquare(corners, from, span, side);
        var warped = new Mat();
        Cv2.WarpPerspective(colour, warped, toSquare, new Size(side, side), InterpolationFlags.Linear, BorderTypes.Constant);
        return warped;
    }

    /// <summary>255 where Warp's square of the same arguments took its pixel from inside the frame.</summary>
    private static Mat InFrame(Mat colour, Point2f[] corners, double from, double span, int side)
    {
        using var toSquare = ToSquare(corners, from, span, side);
        using var all = new Mat(colour.Size(), MatType.CV_8UC1, Scalar.All(255));
        var inFrame = new Mat();
        Cv2.WarpPerspective(all, inFrame, toSquare, new Size(side, side), InterpolationFlags.Nearest, BorderTypes.Constant);
        return inFrame;
    }

    private static Mat ToSquare(Point2f[] corners, double from, double span, int side)
    {
        Point2f At(double u, double v) => new((float)((u - from) / span * side), (float)((v - from) / span * side));
        return Cv2.GetPerspectiveTransform(corners, [At(0, 0), At(1, 0), At(1, 1), At(0, 1)]);
    }

    /// <summary>The strongest isolated peak of the power spectrum (Hann-windowed, summed over 3 × 3 bins so that single
    /// noisy bins do not count), from a twelfth of the spectrum's radius outwards: ln of its power over the mean power 4 bins
    /// away on both sides, in the direction where that is largest. A periodic pattern is a point there, above its
    /// surroundings in every direction; an edge of the printed content is a line through the spectrum, and along the line
    /// its neighbours are as strong as itself.</summary>
    internal static double PeakProminence(Mat plane)
    {
        var n = plane.Rows;
        using var values = new Mat();
        // The mean taken off in the conversion: Cv2.Subtract with a Scalar cost about 0.25 ms a call, a sixth of the fraud stage.
        plane.ConvertTo(values, MatType.CV_32F, 1, -Cv2.Mean(plane).Val0);
        using var window = new Mat();
        Cv2.CreateHanningWindow(window, new Size(n, n), MatType.CV_32F);
        Cv2.Multiply(values, window, values);
        using var spectrum = new Mat();
        Cv2.Dft(values, spectrum, DftFlags.ComplexOutput);
        var parts = spectrum.Split();
        using var power = new Mat();
        Cv2.Magnitude(parts[0], parts[1], power);
        foreach (var part in parts) part.Dispose();
        Cv2.Multiply(power, power, power);
        using var near = new Mat();
        Cv2.BoxFilter(power, near, MatType.CV_32F, new Size(3, 3), normalize: true, borderType: BorderTypes.Wrap);
        // Wrapped by d bins on every side (the spectrum is periodic), so that the neighbours are read without a modulus.
        const int d = 4;
        using var wrapped = new Mat();
        Cv2.CopyMakeBorder(near, wrapped, d, d, d, d, BorderTypes.Wrap);
        wrapped.GetArray(out float[] p);
        var stride = n + 2 * d;
        var floor = 1e-4 * Cv2.Mean(power).Val0 + 1e-9;
        int[] directions = [d, d * stride, d * stride + d, -d * stride + d];
        var best = 1.0; // the ratio; its log is the prominence
        var minRadiusSquared = n / 24.0 * (n / 24.0); // a twelfth of the spectrum's radius n/2
        for (var y = 0; y < n; y++)
        {
            var fy = Math.Min(y, n - y);
            var row = (y + d) * stride + d;
            for (var x = 0; x <= n / 2; x++) // the spectrum of a real image is symmetric
            {
                if (x * x + fy * fy < minRadiusSquared) continue;
                var at = row + x;
                var strongest = 0.0;
                foreach (var offset in directions) strongest = Math.Max(strongest, (p[at + offset] + p[at - offset]) / 2);
                best = Math.Max(best, (p[at] + floor) / (strongest + floor));
            }
        }
        return Math.Log(best);
    }

    /// <summary>RMS of the detail finer than a Gaussian of σ 1.5 px, over the mask (or everywhere).</summary>
    private static double Detail(Mat plane, Mat? mask)
    {
        using var values = new Mat();
        plane.ConvertTo(values, MatType.CV_32F);
        using var smooth = new Mat();
        Cv2.GaussianBlur(values, smooth, new Size(0, 0), 1.5);
        Cv2.Subtract(values, smooth, values);
        Cv2.Multiply(values, values, values);
        var mean = mask is null ? Cv2.Mean(values).Val0 : Cv2.Mean(values, mask).Val0;
        return Math.Sqrt(mean);
    }

    private static double ClippedShare(Mat region)
    {
        using var clipped = ClippedMask(region);
        return Cv2.CountNonZero(clipped) / (double)(region.Rows * region.Cols);
    }

    /// <summary>255 where a pixel has a channel at or above Recapture.ClippedLevel, else 0.</summary>
    private static Mat ClippedMask(Mat region)
    {
        using var brightest = new Mat();
        var planes = region.Split();
        Cv2.Max(planes[0], planes[1], brightest);
        Cv2.Max(brightest, planes[2], brightest);
        foreach (var plane in planes) plane.Dispose();
        var clipped = new Mat();
        Cv2.Threshold(brightest, clipped, Recapture.ClippedLevel - 1, 255, ThresholdTypes.Binary);
        return clipped;
    }

    /// <summary>The pixels of the context square whose target coordinates are from..to outside the target's edge (in target
    /// units, either side), and inside the frame.</summary>
    private static Mat Band(int side, double from, double to, Mat inFrame)
    {
        var band = new Mat(side, side, MatType.CV_8UC1, Scalar.All(0));
        Point At(double u) => new((int)Math.Round((u + Surround.Outer) / (1 + 2 * Surround.Outer) * side),
            (int)Math.Round((u + Surround.Outer) / (1 + 2 * Surround.Outer) * side));
        var outerFrom = At(-to); var outerTo = At(1 + to);
        var innerFrom = At(-from); var innerTo = At(1 + from);
        Cv2.Rectangle(band, new Rect(outerFrom.X, outerFrom.Y, outerTo.X - outerFrom.X, outerTo.Y - outerFrom.Y), Scalar.All(255), -1);
        Cv2.Rectangle(band, new Rect(innerFrom.X, innerFrom.Y, innerTo.X - innerFrom.X, innerTo.Y - innerFrom.Y), Scalar.All(0), -1);
        Cv2.BitwiseAnd(band, inFrame, band);
        return band;
    }

    private static (double Mean, double Std) MeanStd(Mat grey, Mat mask)
    {
        if (Cv2.CountNonZero(mask) == 0) return (0, 0);
        Cv2.MeanStdDev(grey, out var mean, out var std, mask);
        return (mean.Val0, std.Val0);
    }

    /// <summary>1 - ColourSignature.Agreement, and ColourMapping's saturation shift, tone curvature and chroma mixing of the
    /// region's signature against the target's: a display's gamma and gamut, a print's inks.</summary>
    private static (double Disagreement, double Saturation, double Curvature, double Mixing) ColourShift(byte[] reference, Mat colour, Point2f[] corners)
    {
        var scan = ColourSignature.Of(colour, corners);
        var correlation = ColourSignature.Correlation(ColourSignature.Centred(reference), ColourSignature.Centred(scan));
        var agreement = correlation <= 0 ? 0 : correlation * correlation;
        var (curvature, mixing, saturation) = ColourMapping.Of(reference, scan, ClippedCells(colour, corners));
        return (1 - agreement, saturation, curvature, mixing);
    }

    /// <summary>Which of the ColourSignature's cells of the region hold a clipped pixel (read at four times the cells' resolution).</summary>
    private static bool[] ClippedCells(Mat colour, Point2f[] corners)
    {
        using var region = Warp(colour, corners, 0, 1, 4 * ColourSignature.Side);
        using var clipped = ClippedMask(region);
        using var cells = new Mat();
        Cv2.Resize(clipped, cells, new Size(ColourSignature.Side, ColourSignature.Side), 0, 0, InterpolationFlags.Area);
        cells.GetArray(out byte[] shares);
        return shares.Select(share => share > 0).ToArray();
    }

    private static double VisibleShare(Point2f[] corners, int width, int height)
    {
        var area = Math.Abs(Cv2.ContourArea(corners));
        if (area < 1) return 0;
        Point2f[] frame = [new(0, 0), new(width, 0), new(width, height), new(0, height)];
        var inside = Cv2.IntersectConvexConvex(corners, frame, out _);
        return inside / area;
    }

    private static double Distance(Point2f a, Point2f b) => Math.Sqrt((a.X - b.X) * (a.X - b.X) + (a.Y - b.Y) * (a.Y - b.Y));

    /// <summary>Where the surroundings are read, in target units outside the target's edge.</summary>
    private static class Surround
    {
        public const double RingFrom = 0.01, RingTo = 0.12, OuterFrom = 0.15, Outer = 0.35;
    }
}
