using System.Runtime.Intrinsics;
using OpenCvSharp;
using static ArFleet.Recognition.Engine.RecognitionThresholds;

namespace ArFleet.Recognition.Engine;

/// <summary>Recognition by a target's outline, for scans where local features fail. A flat logo seen at a sixth of the
/// frame, blurred, keeps too few ORB corners to verify; its printed edge (label, plate, poster, package face) still
/// shows as a convex quadrilateral. Each quadrilateral in the scan is rectified in its four turns to a ColourSignature
/// and compared with the targets' by correlation: a coarse 4 × 4 signature ranks every target, the full 16 × 16 one
/// decides among the best. The corners come from the quadrilateral itself.</summary>
public static class Outlines
{
    private const int CoarseSide = 4;
    /// <summary>48 numbers: six vectors of 8 floats (see BestCorrelation).</summary>
    public const int CoarseLength = CoarseSide * CoarseSide * 3;

    /// <summary>The largest convex quadrilaterals (at most 8, each at least 1.2 % of the frame) outlined by edges in the
    /// image, corners clockwise from an arbitrary one. An outline whose edge runs into clutter of the same contrast is
    /// not closed, and not found.</summary>
    public static List<Point2f[]> Quadrilaterals(Mat colour) => Outlined(colour, withRegions: false).Quadrilaterals;

    /// <summary>The Quadrilaterals and the regions that the same edges enclose (see Shapes.Regions), from one pass over them.</summary>
    public static (List<Point2f[]> Quadrilaterals, List<Shape> Regions) QuadrilateralsAndRegions(Mat colour) => Outlined(colour, withRegions: true);

    private static (List<Point2f[]> Quadrilaterals, List<Shape> Regions) Outlined(Mat colour, bool withRegions)
    {
        var found = new List<(Point2f[] Corners, double Area)>();
        var enclosed = withRegions ? new List<(Point[] Contour, double Area, Point2d Centre)>() : null;
        void Add(Mat edges, int gap)
        {
            using var closed = new Mat();
            using var kernel = Cv2.GetStructuringElement(MorphShapes.Rect, new Size(gap, gap));
            Cv2.Dilate(edges, closed, kernel);
            AddOutlines(closed, found, gap == OutlineMatching.NarrowGap ? enclosed : null);
        }
        // Faint edges in colour: a plate and a background of one brightness but different hues (pink on grey) still meet
        // at one. Low thresholds need more smoothing against noise.
        using (var blurred = new Mat())
        using (var faint = new Mat())
        {
            Cv2.GaussianBlur(colour, blurred, new Size(0, 0), 1.5);
            Cv2.Canny(blurred, faint, 8, 24);
            Add(faint, OutlineMatching.NarrowGap);
            Add(faint, OutlineMatching.WideGap);
        }
        // Strong edges in grey, where a poster's own print or a dark plate's noise fill the faint pass with edges.
        using (var gray = colour.CvtColor(ColorConversionCodes.BGR2GRAY))
        using (var strong = new Mat())
        {
            Cv2.GaussianBlur(gray, gray, new Size(0, 0), 1.0);
            Cv2.Canny(gray, strong, 30, 90);
            Add(strong, OutlineMatching.NarrowGap);
        }
        var regions = enclosed is null ? []
            : Shapes.Regions(colour, enclosed.OrderByDescending(e => e.Area).Take(ShapeMatching.MaxPerScan).Select(e => e.Contour),
                grow: OutlineMatching.NarrowGap / 2 + 1);
        return (found.OrderByDescending(f => f.Area).Take(OutlineMatching.MaxQuadrilaterals).Select(f => f.Corners).ToList(), regions);
    }

    /// <summary>Adds the convex quadrilaterals that the closed edge map outlines, unless one already found lies at the same
    /// corners, and the outlines of the regions it encloses (holes of FindContours' two-level hierarchy, see Shapes.Regions)
    /// to <paramref name="regions"/> when given.</summary>
    private static void AddOutlines(Mat edges, List<(Point2f[] Corners, double Area)> found, List<(Point[] Contour, double Area, Point2d Centre)>? regions)
    {
        int width = edges.Width, height = edges.Height;
        // The frame's edge closes the outline of a target that the frame cuts off.
        Cv2.Rectangle(edges, new Rect(0, 0, width, height), OpenCvSharp.Scalar.All(255), 1);
        Cv2.FindContours(edges, out var contours, out var hierarchy, RetrievalModes.CComp, ContourApproximationModes.ApproxSimple);
        if (regions is not null)
            for (var i = 0; i < contours.Length; i++)
            {
                if (hierarchy[i].Parent < 0) continue;
                var area = Math.Abs(Cv2.ContourArea(contours[i]));
                if (area < ShapeMatching.MinRegionShare * width * height || area > ShapeMatching.MaxRegionShare * width * height) continue;
                var moments = Cv2.Moments(contours[i]);
                var centre = new Point2d(moments.M10 / moments.M00, moments.M01 / moments.M00);
                // Both passes enclose most regions alike: keep one.
                if (!regions.Any(r => Math.Abs(r.Centre.X - centre.X) + Math.Abs(r.Centre.Y - centre.Y) < 2)) regions.Add((contours[i], area, centre));
            }
        double minArea = 0.012 * width * height, maxArea = 0.95 * width * height;
        foreach (var contour in contours)
        {
            var area = Math.Abs(Cv2.ContourArea(contour));
            if (area < minArea || area > maxArea) continue; // the frame's own edge outlines the whole frame
            var polygon = Cv2.ApproxPolyDP(contour, 0.04 * Cv2.ArcLength(contour, true), true);
            // A corner on the frame's edge is where the frame cut the outline, not one of its corners.
            var corners = polygon.Length == 4 && Cv2.IsContourConvex(polygon) && !polygon.Any(p => OnEdge(p, width, height))
                ? polygon.Select(p => new Point2f(p.X, p.Y)).ToArray()
                : CutOff(contour, width, height);
            if (corners is null) continue;
            // Clockwise in image coordinates (y down), as a target's corners seen from the front: OpenCV's oriented area is then positive.
            if (Cv2.ContourArea(corners, oriented: true) < 0) Array.Reverse(corners);
            // A dilated edge has a contour on either side, and passes find the same outline again: keep one.
            if (found.Any(f => f.Corners.Zip(corners).All(c => Math.Abs(c.First.X - c.Second.X) + Math.Abs(c.First.Y - c.Second.Y) < 8))) continue;
            found.Add((corners, area));
        }
    }

    /// <summary>Each quadrilateral of the image in its four turns, with the ColourSignature a target lying there would show.</summary>
    public static List<(Point2f[] Corners, byte[] Signature)> Views(Mat colour) => Views(colour, Quadrilaterals(colour));

    /// <summary>Views of the given quadrilaterals of the image.</summary>
    public static List<(Point2f[] Corners, byte[] Signature)> Views(Mat colour, List<Point2f[]> quadrilaterals) =>
        quadrilaterals.SelectMany(q => Enumerable.Range(0, 4).Select(turn => Turned(q, turn)))
            .Select(corners => (corners, ColourSignature.Of(colour, corners))).ToList();

    /// <summary>The quadrilateral's corners starting from its <paramref name="turn"/>-th: one of the four ways a target
    /// can lie in it.</summary>
    public static Point2f[] Turned(Point2f[] corners, int turn) => Enumerable.Range(0, 4).Select(i => corners[(i + turn) % 4]).ToArray();

    /// <summary>The signature averaged over 4 × 4 cells, Centred: 48 numbers that rank targets for the full comparison.</summary>
    public static float[] Coarse(byte[] signature)
    {
        const int cell = ColourSignature.Side / CoarseSide;
        var sums = new int[CoarseLength];
        for (var y = 0; y < ColourSignature.Side; y++)
            for (var x = 0; x < ColourSignature.Side; x++)
                for (var c = 0; c < 3; c++)
                    sums[((y / cell) * CoarseSide + x / cell) * 3 + c] += signature[(y * ColourSignature.Side + x) * 3 + c];
        return ColourSignature.Centred(sums.Select(s => (byte)(s / (cell * cell))).ToArray());
    }

    /// <summary>The highest correlation of a target's coarse signature with any of the views' (CoarseLength numbers each, one
    /// after another). The target's six vectors are loaded once and kept in registers: OutlineIndex compares every
    /// target with every view this way while it holds too few targets for cells.</summary>
    public static float BestCorrelation(ReadOnlySpan<float> target, ReadOnlySpan<float> views)
    {
        var t0 = Vector256.Create(target[..8]);
        var t1 = Vector256.Create(target[8..16]);
        var t2 = Vector256.Create(target[16..24]);
        var t3 = Vector256.Create(target[24..32]);
        var t4 = Vector256.Create(target[32..40]);
        var t5 = Vector256.Create(target[40..48]);
        var best = float.MinValue;
        for (var at = 0; at + CoarseLength <= views.Length; at += CoarseLength)
        {
            var v = views.Slice(at, CoarseLength);
            var sum = t0 * Vector256.Create(v[..8]) + t1 * Vector256.Create(v[8..16]) + t2 * Vector256.Create(v[16..24])
                + t3 * Vector256.Create(v[24..32]) + t4 * Vector256.Create(v[32..40]) + t5 * Vector256.Create(v[40..48]);
            best = Math.Max(best, Vector256.Sum(sum));
        }
        return best;
    }

    /// <summary>The probability that an outline match names the right target: a logistic regression on the correlation,
    /// fitted on the best matches of make-dataset --seed 7's queries with every target registered (187 queries that had a
    /// quadrilateral, 111 of them right).</summary>
    public static double Confidence(double correlation) => Math.Round(1 / (1 + Math.Exp(-(-16.52 + 20.92 * correlation))), 3);

    /// <summary>The quadrilateral whose corners the frame cuts off: a convex outline of 5 or 6 sides, one or two of them
    /// along the frame's edge, whose other 4 sides meet (outside the frame) where the corners are. Null for any other outline.</summary>
    private static Point2f[]? CutOff(Point[] contour, int width, int height)
    {
        var hull = Cv2.ConvexHull(contour);
        var polygon = Cv2.ApproxPolyDP(hull, 0.01 * Cv2.ArcLength(hull, true), true);
        if (polygon.Length is < 5 or > 6) return null;
        var sides = new List<(Point A, Point B)>();
        for (var i = 0; i < polygon.Length; i++)
        {
            Point a = polygon[i], b = polygon[(i + 1) % polygon.Length];
            var alongEdge = OnEdge(a, width, height) && OnEdge(b, width, height) && (Math.Abs(a.X - b.X) <= 3 || Math.Abs(a.Y - b.Y) <= 3);
            if (!alongEdge) sides.Add((a, b));
        }
        if (sides.Count != 4 || sides.Count == polygon.Length) return null;
        var corners = new Point2f[4];
        for (var i = 0; i < 4; i++)
        {
            if (Intersection(sides[i], sides[(i + 1) % 4]) is not { } corner) return null;
            corners[i] = corner;
        }
        // Corners far outside the frame come from nearly parallel sides, not from a target.
        if (corners.Any(c => c.X < -width || c.Y < -height || c.X > 2 * width || c.Y > 2 * height)) return null;
        return Cv2.IsContourConvex(corners.Select(c => new Point((int)c.X, (int)c.Y))) ? corners : null;
    }

    private static bool OnEdge(Point p, int width, int height) => p.X <= 3 || p.Y <= 3 || p.X >= width - 4 || p.Y >= height - 4;

    /// <summary>Where the lines through two sides meet; null when they are parallel.</summary>
    private static Point2f? Intersection((Point A, Point B) first, (Point A, Point B) second)
    {
        var (p1, p2) = first;
        var (p3, p4) = second;
        var denominator = (double)(p1.X - p2.X) * (p3.Y - p4.Y) - (double)(p1.Y - p2.Y) * (p3.X - p4.X);
        if (Math.Abs(denominator) < 1e-6) return null;
        double a = (double)p1.X * p2.Y - (double)p1.Y * p2.X, b = (double)p3.X * p4.Y - (double)p3.Y * p4.X;
        return new Point2f((float)((a * (p3.X - p4.X) - (p1.X - p2.X) * b) / denominator),
            (float)((a * (p3.Y - p4.Y) - (p1.Y - p2.Y) * b) / denominator));
    }
}
