using OpenCvSharp;
using static ArFleet.Recognition.Engine.RecognitionThresholds;

namespace ArFleet.Recognition.Engine;

/// <remarks>Placements: where the scan's outlines or shapes put a target, how well its colours fit there, and the margin a
/// placement needs to be accepted.</remarks>
public sealed partial class TargetIndex
{
    /// <summary>The scan's quadrilateral views (see Outlines.Views) with their Centred signatures, compared with every
    /// candidate target, and their coarse ones for the OutlineIndex, and its regions (see Shapes.Regions), from one pass
    /// over its edges.</summary>
    private static (List<(Point2f[] Corners, float[] Centred)> Views, float[] Coarse, List<Shape> Regions) Appearance(Mat colour)
    {
        var (quadrilaterals, regions) = Outlines.QuadrilateralsAndRegions(colour);
        var views = Outlines.Views(colour, quadrilaterals);
        return (views.Select(v => (v.Corners, ColourSignature.Centred(v.Signature))).ToList(),
            views.SelectMany(v => Outlines.Coarse(v.Signature)).ToArray(), regions);
    }

    /// <summary>Where the scan shows the target best, if anywhere: of the quadrilateral views and of the places that the
    /// regions paired with its shapes put its corners, the one whose colours correlate best with the target's signature
    /// (the shapes' places measured by QuickSignatures, see Refined).</summary>
    internal static Placement? Placed(IndexedTarget target, Mat colour, QuickSignatures quick, List<(Point2f[] Corners, float[] Centred)> views,
        List<(Shape Region, Shape Shape)> pairs)
    {
        if (target.Colour is null) return null;
        var fine = ColourSignature.Centred(target.Colour);
        Placement? best = null;
        void Consider(Point2f[] corners, float[] signature, MatchKind kind)
        {
            var correlation = ColourSignature.Correlation(fine, signature);
            if (best is null || correlation > best.Correlation) best = new Placement(correlation, corners, kind);
        }
        foreach (var (corners, centred) in views) Consider(corners, centred, MatchKind.Outline);
        foreach (var (region, shape) in pairs)
            foreach (var (turn, _) in Shapes.Turns(region.Polar, shape.Polar, ShapeMatching.TurnsTried)
                .Where(t => t.Correlation >= ShapeMatching.MinGridCorrelation))
            {
                var corners = Shapes.Project(region, shape, turn, UnitCorners);
                if (FeatureVerification.IsWellConditioned(corners, colour.Width, colour.Height)) Consider(corners, quick.Centred(corners), MatchKind.Shape);
            }
        return best;
    }

    internal sealed record Placement(double Correlation, Point2f[] Corners, MatchKind Kind);

    /// <summary>The placement's correlation above what it needs. An outline supported by the target's own features (see
    /// Supporting) needs OutlineMatching.MinCorrelation. Anything else needs ShapeMatching.MinCorrelation: without that support a plain
    /// logo's colours can correlate with another plain logo's, and a shape's corners are refined to fit the colours, which
    /// lifts a wrong target's correlation too.</summary>
    private static double Margin(ImageFeatures query, IndexedTarget target, Placement placement)
    {
        var supported = placement.Kind == MatchKind.Outline && placement.Correlation >= OutlineMatching.MinCorrelation
            && Supporting(query, target, placement.Corners) >= OutlineMatching.MinSupport;
        return placement.Correlation - (supported ? OutlineMatching.MinCorrelation : ShapeMatching.MinCorrelation);
    }

    /// <summary>A placement with its corners moved, one coordinate at a time in shrinking steps (4 % to 0.5 % of the
    /// diagonal), while the colours correlate better (by QuickSignatures), then measured by ColourSignature.Of like an
    /// outline's: one region's affine view misses the perspective and the region's blurred edge, which a plain logo's few
    /// colours punish.</summary>
    internal static Placement Refined(IndexedTarget target, Mat colour, QuickSignatures quick, Placement placement)
    {
        var fine = ColourSignature.Centred(target.Colour);
        var corners = placement.Corners;
        if (placement.Correlation >= ShapeMatching.RefineFrom)
        {
            var best = placement.Correlation;
            var diagonal = Math.Sqrt(Math.Pow(corners[2].X - corners[0].X, 2) + Math.Pow(corners[2].Y - corners[0].Y, 2));
            for (var step = 0.04 * diagonal; step >= 0.005 * diagonal; step /= 2)
                for (var (round, improved) = (0, true); improved && round < 4; round++)
                {
                    improved = false;
                    for (var coordinate = 0; coordinate < 8; coordinate++)
                        foreach (var sign in (ReadOnlySpan<int>)[-1, 1])
                        {
                            var trial = corners.ToArray();
                            var (dx, dy) = coordinate % 2 == 0 ? (sign * step, 0.0) : (0.0, sign * step);
                            trial[coordinate / 2] = new Point2f((float)(trial[coordinate / 2].X + dx), (float)(trial[coordinate / 2].Y + dy));
                            var correlation = ColourSignature.Correlation(fine, quick.Centred(trial));
                            if (correlation <= best) continue;
                            (corners, best, improved) = (trial, correlation, true);
                        }
                }
        }
        return placement with { Correlation = ColourSignature.Correlation(fine, ColourSignature.Centred(ColourSignature.Of(colour, corners))),
            Corners = corners };
    }

    /// <summary>An outline's placement refined (see Refined) where that brings it to ShapeMatching.MinCorrelation, else as found: a
    /// corner the edges round off or a dilated edge puts a few pixels off costs a small plate's colours several hundredths,
    /// but refining lifts a wrong target's correlation too, so a refined outline needs what a shape needs.</summary>
    private static Placement RefinedOutline(IndexedTarget target, Mat colour, QuickSignatures quick, Placement found) =>
        Refined(target, colour, quick, found) is { Correlation: >= ShapeMatching.MinCorrelation } refined && refined.Correlation > found.Correlation
            ? refined : found;

    /// <summary>How well the scan shows the target alone by its outline or shapes (the grader's check, with no other target
    /// to lead): the best placement's Margin, negative when it would not be accepted.</summary>
    internal static double AppearanceAlone(ImageFeatures query, IndexedTarget target)
    {
        if (query.Colour is not { } colour || target.Colour is null) return -1;
        var (views, _, regions) = Appearance(colour);
        var pairs = (from region in regions
                     from shape in target.Shapes ?? []
                     where region.ChromaDistance(shape) <= ShapeMatching.MaxChromaDistance
                        && ColourSignature.Correlation(Shapes.Descriptor(region.Polar), Shapes.Descriptor(shape.Polar)) >= ShapeMatching.MinLikeness
                     select (region, shape)).ToList();
        using var quick = new QuickSignatures(colour);
        if (Placed(target, colour, quick, views, pairs) is not { } placed) return -1;
        // Outlines as found: the grader stays on the safe side of the recogniser, which refines the best few.
        return Margin(query, target, placed.Kind == MatchKind.Shape ? Refined(target, colour, quick, placed) : placed);
    }

    private static readonly Point2f[] UnitCorners = [new(0, 0), new(1, 0), new(1, 1), new(0, 1)];

    /// <summary>Query features whose nearest target feature (within 50 bits; unrelated descriptors differ by about 128)
    /// lies where the target's corners in the query (reduced query pixels) put it, within 2.5 % of the target's diagonal:
    /// too few for RANSAC to find the homography among the clutter, yet a check of one that is given.</summary>
    internal static int Supporting(ImageFeatures query, IndexedTarget target, Point2f[] corners)
    {
        if (target.Points.Length == 0 || query.Count == 0) return 0;
        using var toQuery = Cv2.GetPerspectiveTransform(target.Corners, corners);
        var projected = Cv2.PerspectiveTransform(target.Points, toQuery);
        var radius = 0.025 * Math.Sqrt(Math.Pow(corners[2].X - corners[0].X, 2) + Math.Pow(corners[2].Y - corners[0].Y, 2));
        // The outline's own corners are no evidence beyond the outline: only details inside the target count.
        double marginX = 0.08 * target.Width, marginY = 0.08 * target.Height;
        bool Inside(Point2f p) => p.X > marginX && p.X < target.Width - marginX && p.Y > marginY && p.Y < target.Height - marginY;
        var nearest = HammingMatcher.NearestTwo(query.Descriptors, target.Descriptors);
        return Enumerable.Range(0, nearest.Length).Count(i => nearest[i].Distance < 50 && Inside(target.Points[nearest[i].Train])
            && Math.Abs(projected[nearest[i].Train].X - query.Points[i].X) + Math.Abs(projected[nearest[i].Train].Y - query.Points[i].Y) < radius);
    }
}
