using Microsoft.Extensions.Options;
using OpenCvSharp;
using static ArFleet.Recognition.Engine.RecognitionThresholds;

namespace ArFleet.Recognition.Engine;

/// <summary>Grades a target 0–5 by trying it: the target is pasted into simulated scans (a textured frame, seen
/// from 110 to 420 px wide, turned, in perspective, blurred, noisy and JPEG-compressed) and each scan goes through
/// the query pipeline a real scan goes through: geometric verification of features, else the target's outline or shapes
/// (see TargetIndex.MatchAppearance). A target is accepted only when every simulated scan recognises it with a margin, so a
/// grade predicts recognition rather than counting corners. Distinctive, well-spread features (no look-alike elsewhere in
/// the image) lift an accepted grade, and say why a rejected target failed in words a brand understands.</summary>
public sealed class TargetGrader(FeatureExtractor extractor, IOptions<RecognitionOptions> options)
{
    private const int FrameWidth = 640, FrameHeight = 480;
    private const int Grid = 4;

    /// <summary>ViewInliers: per simulated scan, the features' inliers (0 when they did not verify); ViewAppearance: how far
    /// the colour correlation where its outline or shapes placed the target was above the minimum (negative: not recognised).</summary>
    public record Grade(int Value, string? RejectionReason, int DistinctiveFeatures, int[] ViewInliers, double[] ViewAppearance);

    private readonly RecognitionOptions options = options.Value;

    /// <summary>Extracts the target's features and grades them; throws ImageRejectedException for an image that
    /// cannot be decoded within the limits. The caller owns the features.</summary>
    public GradedTarget Assess(byte[] image)
    {
        using var gray = extractor.Reduced(image, options.TargetMaxSide, out var scale);
        var features = extractor.ExtractTarget(gray, scale);
        using var colour = FeatureExtractor.ReducedColour(image, gray.Size());
        var (signature, shapes) = FeatureExtractor.TargetAppearance(colour);
        var target = new IndexedTarget(Guid.Empty, Guid.Empty, features.Width, features.Height, features.Points, features.Descriptors, signature, shapes);
        return new GradedTarget(features, Assess(colour, features, target), signature, shapes);
    }

    private Grade Assess(Mat colour, ImageFeatures features, IndexedTarget target)
    {
        if (Math.Min(features.OriginalWidth, features.OriginalHeight) < 64)
            return new Grade(0, "The image is too small: use at least 64 px on the short side (320 px or more works best).", 0, [], []);

        var distinctive = Distinctive(features);
        var distinctiveCount = distinctive.Count(d => d);
        var (viewInliers, viewAppearance) = SimulatedScans(colour, features, target);
        var needed = options.MinInliers + Grading.ViewMargin;
        var hasEvidence = viewInliers.Max() >= Grading.EvidenceInliers;
        var recognised = Enumerable.Range(0, viewInliers.Length)
            .Count(i => viewInliers[i] >= options.MinInliers || viewAppearance[i] >= 0);
        var withMargin = Enumerable.Range(0, viewInliers.Length)
            .Count(i => viewInliers[i] >= needed || viewAppearance[i] >= Grading.AppearanceMargin);

        if (withMargin == viewInliers.Length && hasEvidence)
        {
            var value = Grading.MinAcceptedGrade + (viewInliers.Min() >= 2 * needed ? 1 : 0) + (Coverage(features, distinctive) >= 0.5 ? 1 : 0);
            return new Grade(value, null, distinctiveCount, viewInliers, viewAppearance);
        }
        var rejected = Math.Min(Grading.MinAcceptedGrade - 1, recognised / 2);
        if (features.Count >= 150 && distinctiveCount < features.Count / 3 && recognised < viewInliers.Length / 2)
            return new Grade(rejected, "Repetitive pattern: the same details repeat across the image, so one part cannot be told from another.",
                distinctiveCount, viewInliers, viewAppearance);
        if (withMargin == viewInliers.Length)
            return new Grade(Grading.MinAcceptedGrade - 1,
                "Too little detail: the target is recognised only by its outline and colours, which clutter around a real scan " +
                "easily hides. Printed detail with corners (text, a pattern, a border) gives it features that verify.",
                distinctiveCount, viewInliers, viewAppearance);
        if (recognised == 0 || distinctiveCount < 50)
            return new Grade(rejected, "Too little texture: the image has too few distinctive details (corners, edges, print) to be recognised reliably.",
                distinctiveCount, viewInliers, viewAppearance);
        return new Grade(rejected,
            "Too few details survive when the target is seen small or at an angle: " +
            $"it was recognised with a margin in {withMargin} of {viewInliers.Length} simulated scans. " +
            "Bolder shapes, more contrast or more printed detail help.", distinctiveCount, viewInliers, viewAppearance);
    }

    /// <summary>Per simulated scan, the target's inliers (0 when its features did not verify) and, when they fell short of
    /// the margin, how well its outline or shapes placed it (see TargetIndex.AppearanceAlone). Deterministic: the views'
    /// angles and perspective come from the image's own features, so the same image always grades alike.</summary>
    private (int[] Inliers, double[] Appearance) SimulatedScans(Mat colour, ImageFeatures features, IndexedTarget target)
    {
        var random = new Random(Seed(features));
        var inliers = new int[Grading.ViewSizes.Length];
        var appearance = new double[Grading.ViewSizes.Length];
        for (var view = 0; view < Grading.ViewSizes.Length; view++)
        {
            using var query = extractor.ExtractQuery(SimulatedScan(colour, Grading.ViewSizes[view], random));
            inliers[view] = FeatureVerification.Verify(query, target, Grading.EvidenceInliers)?.Inliers ?? 0;
            appearance[view] = inliers[view] < options.MinInliers + Grading.ViewMargin ? TargetIndex.AppearanceAlone(query, target) : -1;
        }
        return (inliers, appearance);
    }

    /// <summary>FNV-1a over the strongest features' descriptors: stable across processes, unlike HashCode.</summary>
    private static int Seed(ImageFeatures features)
    {
        var hash = 2166136261u;
        foreach (var b in TargetIndex.DescriptorRows(features.Descriptors).AsSpan(0, Math.Min(features.Count, 8) * 32)) hash = (hash ^ b) * 16777619;
        return (int)hash;
    }

    /// <summary>A JPEG of the target (BGR) pasted into the frame at the size, turned and in perspective, blurred and noisy.</summary>
    private static byte[] SimulatedScan(Mat target, int size, Random random)
    {
        using var frame = Background.Value.Clone();
        var scale = (double)size / Math.Max(target.Width, target.Height);
        double w = target.Width * scale, h = target.Height * scale;
        var angle = (random.NextDouble() - 0.5) * Math.PI / 3; // ±30°
        Point2f Corner(double dx, double dy)
        {
            dx += (random.NextDouble() - 0.5) * w * 0.16; // perspective: each corner moves up to ±8 % of the size
            dy += (random.NextDouble() - 0.5) * h * 0.16;
            return new((float)(FrameWidth / 2.0 + dx * Math.Cos(angle) - dy * Math.Sin(angle)),
                (float)(FrameHeight / 2.0 + dx * Math.Sin(angle) + dy * Math.Cos(angle)));
        }
        Point2f[] corners = [Corner(-w / 2, -h / 2), Corner(w / 2, -h / 2), Corner(w / 2, h / 2), Corner(-w / 2, h / 2)];
        Point2f[] source = [new(0, 0), new(target.Width, 0), new(target.Width, target.Height), new(0, target.Height)];
        using var homography = Cv2.GetPerspectiveTransform(source, corners);
        Cv2.WarpPerspective(target, frame, homography, frame.Size(), InterpolationFlags.Linear, BorderTypes.Transparent);
        Cv2.GaussianBlur(frame, frame, new Size(0, 0), 1.0);
        using var noisy = new Mat();
        frame.ConvertTo(noisy, MatType.CV_16SC3);
        Cv2.Add(noisy, Noise.Value, noisy);
        noisy.ConvertTo(frame, MatType.CV_8UC3);
        Cv2.ImEncode(".jpg", frame, out var jpeg, new ImageEncodingParam(ImwriteFlags.JpegQuality, 70));
        return jpeg;
    }

    /// <summary>A soft random texture in colour with some edges in it, like the clutter behind a real target.</summary>
    private static readonly Lazy<Mat> Background = new(() =>
    {
        var random = new Random(20261124);
        var pixels = new byte[FrameWidth * FrameHeight * 3];
        random.NextBytes(pixels);
        var frame = Mat.FromPixelData(FrameHeight, FrameWidth, MatType.CV_8UC3, pixels).Clone();
        Cv2.GaussianBlur(frame, frame, new Size(0, 0), 6);
        Cv2.Normalize(frame, frame, 40, 200, NormTypes.MinMax);
        return frame;
    });

    /// <summary>Sensor noise, σ ≈ 4 levels in each channel: fixed, so grading stays deterministic.</summary>
    private static readonly Lazy<Mat> Noise = new(() =>
    {
        var random = new Random(11);
        var values = new short[FrameWidth * FrameHeight * 3];
        for (var i = 0; i < values.Length; i++)
            values[i] = (short)Math.Round(4 * Math.Sqrt(-2 * Math.Log(1 - random.NextDouble())) * Math.Cos(2 * Math.PI * random.NextDouble()));
        return Mat.FromPixelData(FrameHeight, FrameWidth, MatType.CV_16SC3, values).Clone();
    });

    /// <summary>Share of the image's cells (4 × 4) holding at least three distinctive features.</summary>
    private static double Coverage(ImageFeatures features, bool[] distinctive)
    {
        var cells = new int[Grid * Grid];
        for (var i = 0; i < features.Count; i++)
        {
            if (!distinctive[i]) continue;
            var p = features.Points[i];
            var cx = Math.Clamp((int)(p.X * Grid / features.Width), 0, Grid - 1);
            var cy = Math.Clamp((int)(p.Y * Grid / features.Height), 0, Grid - 1);
            cells[cy * Grid + cx]++;
        }
        return cells.Count(c => c >= 3) / (double)cells.Length;
    }

    /// <summary>Per feature: true unless another feature at least a few pixels away has a look-alike descriptor.</summary>
    private static bool[] Distinctive(ImageFeatures features)
    {
        var result = new bool[features.Count];
        if (features.Count < 2) return result.Select(_ => true).ToArray();
        using var matcher = new BFMatcher(NormTypes.Hamming);
        // The same corner found at several pyramid levels lands a few pixels apart: that is not repetition.
        var apart = 0.05 * Math.Max(features.Width, features.Height);
        var neighbours = matcher.KnnMatch(features.Descriptors, features.Descriptors, Math.Min(8, features.Count));
        for (var i = 0; i < neighbours.Length; i++)
        {
            var p = features.Points[i];
            result[i] = !neighbours[i].Any(n => n.TrainIdx != i && n.Distance < Grading.LookAlike
                && Math.Abs(features.Points[n.TrainIdx].X - p.X) + Math.Abs(features.Points[n.TrainIdx].Y - p.Y) > apart);
        }
        return result;
    }
}
