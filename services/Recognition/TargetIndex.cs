using System.Collections.Concurrent;
using Microsoft.Extensions.Options;
using OpenCvSharp;

namespace ArFleet.Recognition;

public sealed record IndexedTarget(Guid TargetId, Guid TenantId, int Width, int Height, Point2f[] Points, Mat Descriptors);

public sealed record TargetMatch(Guid TargetId, Guid TenantId, double Confidence, int Inliers, double[][] Corners);

/// <summary>The targets this worker recognises. Matching is linear in the number of targets: every target's
/// descriptors are matched (ratio test) and the best candidates verified with a RANSAC homography.</summary>
public sealed class TargetIndex(IOptions<RecognitionOptions> options)
{
    private const float RatioTest = 0.75f;
    private readonly ConcurrentDictionary<Guid, IndexedTarget> targets = new();
    private readonly int minInliers = options.Value.MinInliers;

    public int Count => targets.Count;

    public bool Contains(Guid targetId) => targets.ContainsKey(targetId);

    public void Add(IndexedTarget target)
    {
        if (targets.TryGetValue(target.TargetId, out var previous) && ReferenceEquals(previous, target)) return;
        targets[target.TargetId] = target;
        // The replaced entry's Mat is left to the finalizer: a concurrent match may still be reading it.
    }

    public TargetMatch? Match(ImageFeatures query)
    {
        if (query.Count < 8) return null;
        TargetMatch? best = null;
        using var matcher = new BFMatcher(NormTypes.Hamming);
        foreach (var target in targets.Values)
        {
            var candidate = Verify(matcher, query, target);
            if (candidate is not null && (best is null || candidate.Inliers > best.Inliers)) best = candidate;
        }
        return best;
    }

    private TargetMatch? Verify(BFMatcher matcher, ImageFeatures query, IndexedTarget target)
    {
        if (target.Points.Length < 8) return null;
        var knn = matcher.KnnMatch(query.Descriptors, target.Descriptors, 2);
        var good = knn.Where(m => m.Length == 2 && m[0].Distance < RatioTest * m[1].Distance).Select(m => m[0]).ToArray();
        if (good.Length < minInliers) return null;

        var source = good.Select(m => target.Points[m.TrainIdx]).Select(p => new Point2d(p.X, p.Y));
        var destination = good.Select(m => query.Points[m.QueryIdx]).Select(p => new Point2d(p.X, p.Y));
        using var mask = new Mat();
        using var homography = Cv2.FindHomography(InputArray.Create(source.ToArray()), InputArray.Create(destination.ToArray()),
            HomographyMethods.Ransac, 5.0, mask);
        if (homography.Empty()) return null;
        var inliers = Cv2.CountNonZero(mask);
        if (inliers < minInliers) return null;

        var corners = Cv2.PerspectiveTransform(
            [new Point2f(0, 0), new Point2f(target.Width, 0), new Point2f(target.Width, target.Height), new Point2f(0, target.Height)],
            homography);
        if (!IsPlausibleQuadrilateral(corners)) return null;
        var confidence = Math.Clamp(1 - Math.Exp(-(inliers - minInliers / 2.0) / 15.0), 0, 1);
        return new TargetMatch(target.TargetId, target.TenantId, Math.Round(confidence, 3), inliers,
            corners.Select(c => new[] { Math.Round(c.X / query.Scale, 1), Math.Round(c.Y / query.Scale, 1) }).ToArray());
    }

    /// <summary>A real view of a flat target projects to a convex quadrilateral of some size; a degenerate
    /// homography (a few coincident matches) does not.</summary>
    private static bool IsPlausibleQuadrilateral(Point2f[] c)
    {
        double Cross(Point2f a, Point2f b, Point2f d) => (b.X - a.X) * (d.Y - b.Y) - (b.Y - a.Y) * (d.X - b.X);
        var signs = Enumerable.Range(0, 4).Select(i => Math.Sign(Cross(c[i], c[(i + 1) % 4], c[(i + 2) % 4]))).ToArray();
        if (signs.Any(s => s == 0) || signs.Distinct().Count() != 1) return false;
        var area = Math.Abs(Cv2.ContourArea(c));
        return area > 100;
    }
}
