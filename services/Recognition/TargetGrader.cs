using OpenCvSharp;

namespace ArFleet.Recognition;

/// <summary>Grades a target 0–5 from how many distinctive features it has and how evenly they cover it, in the
/// spirit of Vuforia's star rating; below <see cref="MinAcceptedGrade"/> the target is rejected with a reason a
/// brand understands. A feature is distinctive when no other feature elsewhere in the image looks like it: the
/// ratio test drops the others, so they cannot help recognition.</summary>
public static class TargetGrader
{
    public const int MinAcceptedGrade = 2;
    private const int Grid = 4;
    /// <summary>Below this a scan showing the target small or blurred keeps too few of them to verify a homography.</summary>
    private const int MinDistinctive = 100;
    /// <summary>Hamming distance under which two ORB descriptors are taken for the same detail (of 256 bits).</summary>
    private const int LookAlike = 32;

    public record Grade(int Value, string? RejectionReason, int DistinctiveFeatures);

    public static Grade Assess(ImageFeatures features)
    {
        if (Math.Min(features.OriginalWidth, features.OriginalHeight) < 64)
            return new Grade(0, "The image is too small: use at least 64 px on the short side (320 px or more works best).", 0);

        var distinctive = Distinctive(features);
        var cells = new int[Grid * Grid];
        for (var i = 0; i < features.Count; i++)
        {
            if (!distinctive[i]) continue;
            var p = features.Points[i];
            var cx = Math.Clamp((int)(p.X * Grid / features.Width), 0, Grid - 1);
            var cy = Math.Clamp((int)(p.Y * Grid / features.Height), 0, Grid - 1);
            cells[cy * Grid + cx]++;
        }
        var distinctiveCount = distinctive.Count(d => d);
        var coverage = cells.Count(c => c >= 3) / (double)cells.Length;
        var richness = Math.Min(1.0, distinctiveCount / 300.0);
        var value = (int)Math.Clamp(Math.Round(5 * Math.Sqrt(richness * Math.Max(coverage, 0.25))), 0, 5);

        if (value >= MinAcceptedGrade && distinctiveCount >= MinDistinctive) return new Grade(value, null, distinctiveCount);
        if (features.Count >= 150 && distinctiveCount < features.Count / 3)
            return new Grade(value, "Repetitive pattern: the same details repeat across the image, so one part cannot be told from another.", distinctiveCount);
        if (distinctiveCount < MinDistinctive)
            return new Grade(value, "Too little texture: the image has too few distinctive details (corners, edges, print) to be recognised reliably.", distinctiveCount);
        return new Grade(value, "The details are concentrated in a small part of the image; use an image with texture spread across it.", distinctiveCount);
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
            result[i] = !neighbours[i].Any(n => n.TrainIdx != i && n.Distance < LookAlike
                && Math.Abs(features.Points[n.TrainIdx].X - p.X) + Math.Abs(features.Points[n.TrainIdx].Y - p.Y) > apart);
        }
        return result;
    }
}
