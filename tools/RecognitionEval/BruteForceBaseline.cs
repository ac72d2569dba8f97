using ArFleet.Recognition.Engine;
using OpenCvSharp;

namespace ArFleet.RecognitionEval;

/// <summary>What a plain implementation does, and what recognition did before the index: match the query
/// against every target (BFMatcher, ratio test) and keep the target with the most RANSAC homography inliers.</summary>
public sealed class BruteForceBaseline(IReadOnlyList<IndexedTarget> targets, int minInliers = 15)
{
    public Guid? Match(ImageFeatures query)
    {
        if (query.Count < 8) return null;
        using var matcher = new BFMatcher(NormTypes.Hamming);
        (Guid Id, int Inliers)? best = null;
        foreach (var target in targets)
        {
            var inliers = Inliers(matcher, query, target);
            if (inliers >= minInliers && (best is null || inliers > best.Value.Inliers)) best = (target.TargetId, inliers);
        }
        return best?.Id;
    }

    private int Inliers(BFMatcher matcher, ImageFeatures query, IndexedTarget target)
    {
        if (target.Points.Length < 8) return 0;
        var knn = matcher.KnnMatch(query.Descriptors, target.Descriptors, 2);
        var good = knn.Where(m => m.Length == 2 && m[0].Distance < 0.75f * m[1].Distance).Select(m => m[0]).ToArray();
        if (good.Length < minInliers) return 0;
        var source = good.Select(m => target.Points[m.TrainIdx]).ToArray();
        var destination = good.Select(m => query.Points[m.QueryIdx]).ToArray();
        using var mask = new Mat();
        using var homography = Cv2.FindHomography(InputArray.Create(source), InputArray.Create(destination), HomographyMethods.Ransac, 5.0, mask);
        if (homography.Empty()) return 0;
        var corners = Cv2.PerspectiveTransform(target.Corners, homography);
        return Math.Abs(Cv2.ContourArea(corners)) > 100 && Cv2.IsContourConvex(corners) ? Cv2.CountNonZero(mask) : 0;
    }
}
