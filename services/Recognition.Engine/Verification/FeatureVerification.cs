using OpenCvSharp;
using static ArFleet.Recognition.Engine.RecognitionThresholds;

namespace ArFleet.Recognition.Engine;

/// <summary>Geometric verification of a feature match: the ratio test, a USAC_MAGSAC homography and checks that it
/// projects the target as a real view would.</summary>
public static class FeatureVerification
{
    /// <summary>cv::USAC_MAGSAC, which OpenCvSharp's enum does not name.</summary>
    private const HomographyMethods UsacMagsac = (HomographyMethods)38;

    /// <summary>Matches the query's descriptors to the target's (ratio test) and fits a homography; a match needs
    /// enough inliers, a sane inlier ratio and a well-conditioned homography that projects the target to a
    /// convex quadrilateral of some size inside the frame's neighbourhood.</summary>
    public static TargetMatch? Verify(ImageFeatures query, IndexedTarget target, int minInliers)
    {
        if (target.Points.Length < 8 || query.Count < 8) return null;
        var nearest = HammingMatcher.NearestTwo(query.Descriptors, target.Descriptors);
        var good = Enumerable.Range(0, nearest.Length).Where(i => nearest[i].Distance < FeatureMatching.RatioTest * nearest[i].Second).ToArray();
        if (good.Length < minInliers) return null;

        var source = good.Select(i => target.Points[nearest[i].Train]).ToArray();
        var destination = good.Select(i => query.Points[i]).ToArray();
        using var mask = new Mat();
        using var homography = Cv2.FindHomography(InputArray.Create(source), InputArray.Create(destination), UsacMagsac, 4.0, mask, 2000, 0.999);
        if (homography.Empty()) return null;
        var inliers = Cv2.CountNonZero(mask);
        var inlierRatio = (double)inliers / good.Length;
        if (inliers < minInliers || inlierRatio < 0.2) return null;

        var corners = Cv2.PerspectiveTransform(target.Corners, homography);
        if (!IsWellConditioned(corners, query.Width, query.Height)) return null;
        // A homography fitted to a few chance inliers in one part of a target throws the rest of it far off the frame (seed
        // 7's one false feature match: 15 inliers put a poster 4.5 times the frame's size on a logo's plate); a real close-up
        // that cuts most of the target off shows its visible part large and sharp, with many inliers.
        if (inliers < FeatureMatching.CloseUpInliers * minInliers && VisibleShare(corners, query.Width, query.Height) < FeatureMatching.MinVisibleShare)
            return null;
        return new TargetMatch(target.TargetId, target.TenantId, Confidence(inliers, inlierRatio), inliers, Math.Round(inlierRatio, 3),
            InOriginalPixels(corners, query.Scale));
    }

    /// <summary>The share of the quadrilateral (a convex one, see IsWellConditioned) that lies inside the frame.</summary>
    internal static double VisibleShare(Point2f[] corners, int width, int height)
    {
        Point2f[] frame = [new(0, 0), new(width, 0), new(width, height), new(0, height)];
        return Cv2.IntersectConvexConvex(corners, frame, out _, handleNested: true) / Math.Abs(Cv2.ContourArea(corners));
    }

    /// <summary>The probability that a verified match names the right target: a logistic regression on
    /// ln(inliers) and the inlier ratio, fitted by <c>./arfleet recognize-eval --calibrate</c> on the 1,000-target
    /// set of <c>make-dataset --seed 7</c> (each query against its own target and against the best other target
    /// the index verifies); refit when features or verification change.</summary>
    public static double Confidence(int inliers, double inlierRatio) =>
        Math.Round(1 / (1 + Math.Exp(-(-3.166 + 0.662 * Math.Log(inliers) + 5.608 * inlierRatio))), 3);

    /// <summary>A real view of a flat target projects to a convex quadrilateral of some size, with no side
    /// collapsed against its opposite; a degenerate homography (a few coincident matches) does not.</summary>
    internal static bool IsWellConditioned(Point2f[] c, int width, int height)
    {
        double Cross(Point2f a, Point2f b, Point2f d) => (b.X - a.X) * (d.Y - b.Y) - (b.Y - a.Y) * (d.X - b.X);
        var signs = Enumerable.Range(0, 4).Select(i => Math.Sign(Cross(c[i], c[(i + 1) % 4], c[(i + 2) % 4]))).ToArray();
        if (signs.Any(s => s == 0) || signs.Distinct().Count() != 1) return false;
        var area = Math.Abs(Cv2.ContourArea(c));
        if (area < 0.003 * width * height || area > 16.0 * width * height) return false;
        double Side(int i) => Math.Sqrt(Math.Pow(c[i].X - c[(i + 1) % 4].X, 2) + Math.Pow(c[i].Y - c[(i + 1) % 4].Y, 2));
        var sides = Enumerable.Range(0, 4).Select(Side).ToArray();
        return sides[0] / sides[2] is > 0.2 and < 5 && sides[1] / sides[3] is > 0.2 and < 5;
    }

    /// <summary>Corners in reduced query pixels as a match reports them: in the original image's pixels, to 0.1 px.</summary>
    internal static double[][] InOriginalPixels(Point2f[] corners, double scale) =>
        corners.Select(c => new[] { Math.Round(c.X / scale, 1), Math.Round(c.Y / scale, 1) }).ToArray();
}
