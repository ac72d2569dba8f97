using System.Buffers;
using System.Numerics;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics.X86;
using Microsoft.Extensions.Options;
using OpenCvSharp;

namespace ArFleet.Recognition;

/// <summary>A target as the index holds it; Colour is its ColourSignature (null for a target stored before colours were) and
/// Shapes its ink regions (see Shapes; null for a target stored before shapes were).</summary>
public sealed record IndexedTarget(Guid TargetId, Guid TenantId, int Width, int Height, Point2f[] Points, Mat Descriptors, byte[]? Colour = null,
    Shape[]? Shapes = null)
{
    /// <summary>The target's corners in its own (reduced) pixels, clockwise from the top left.</summary>
    public Point2f[] Corners => [new(0, 0), new(Width, 0), new(Width, Height), new(0, Height)];
}

/// <summary>A recognised target. Kind says what recognised it: features (Inliers and InlierRatio are the homography's) or
/// the outline (see Outlines; no inliers).</summary>
public sealed record TargetMatch(Guid TargetId, Guid TenantId, double Confidence, int Inliers, double InlierRatio, double[][] Corners,
    MatchKind Kind = MatchKind.Features);

public enum MatchKind { Features, Outline, Shape }

/// <summary>The targets this worker recognises. A query's descriptors vote through an inverted file of binary
/// words (<see cref="BinaryWordIndex"/>), whose cost depends on how many targets share a word rather than on how
/// many targets there are; only the few best-voted targets are matched descriptor by descriptor and verified
/// with a USAC_MAGSAC homography. A scan that no candidate verifies is matched by its outline (see Outlines).</summary>
public sealed class TargetIndex(IOptions<RecognitionOptions> options) : IDisposable
{
    private const float RatioTest = 0.8f;
    /// <summary>cv::USAC_MAGSAC, which OpenCvSharp's enum does not name.</summary>
    private const HomographyMethods UsacMagsac = (HomographyMethods)38;

    private readonly RecognitionOptions options = options.Value;
    private readonly ReaderWriterLockSlim gate = new();
    private readonly BinaryWordIndex words = new(options.Value.HashTables, options.Value.HashBits, options.Value.MaxWordDistance);
    private readonly List<IndexedTarget?> slots = [];
    private readonly OutlineIndex outlines = new();
    // The targets' shapes, one entry each (its target's slot, the shape) in an index of their Shapes.Descriptor.
    private readonly OutlineIndex shapes = new();
    private readonly List<(int Slot, Shape Shape)?> shapeEntries = [];
    private readonly Stack<int> freeShapeEntries = new();
    private readonly Stack<int> freeSlots = new();
    private readonly Dictionary<Guid, int> slotOf = [];
    // Deleted targets stay refused: a late TargetIndexed for one of them must not bring it back.
    private readonly HashSet<Guid> deleted = [];
    // Deactivated targets keep their features but are not matched; an id may be here before its target is added.
    private readonly HashSet<Guid> inactive = [];

    public int Count { get { gate.EnterReadLock(); try { return slotOf.Count; } finally { gate.ExitReadLock(); } } }

    public bool Contains(Guid targetId)
    {
        gate.EnterReadLock();
        try { return slotOf.ContainsKey(targetId); } finally { gate.ExitReadLock(); }
    }

    /// <summary>Adds the target unless it is already here or was deleted; false when it was not added.</summary>
    public bool Add(IndexedTarget target)
    {
        var descriptors = DescriptorRows(target.Descriptors);
        var coarseOutline = target.Colour is null ? null : Outlines.Coarse(target.Colour);
        var shapeDescriptors = target.Colour is null ? [] : (target.Shapes ?? []).Select(shape => (shape, Shapes.Descriptor(shape.Polar))).ToArray();
        gate.EnterWriteLock();
        try
        {
            if (deleted.Contains(target.TargetId) || slotOf.ContainsKey(target.TargetId)) return false;
            var slot = freeSlots.Count > 0 ? freeSlots.Pop() : slots.Count;
            if (slot == slots.Count) slots.Add(target); else slots[slot] = target;
            outlines.Set(slot, coarseOutline);
            foreach (var (shape, descriptor) in shapeDescriptors)
            {
                var entry = freeShapeEntries.Count > 0 ? freeShapeEntries.Pop() : shapeEntries.Count;
                if (entry == shapeEntries.Count) shapeEntries.Add((slot, shape)); else shapeEntries[entry] = (slot, shape);
                shapes.Set(entry, descriptor);
            }
            slotOf[target.TargetId] = slot;
            words.Add(slot, descriptors);
            return true;
        }
        finally { gate.ExitWriteLock(); }
    }

    /// <summary>Drops the target at once; no match returned after this call names it.</summary>
    public void Remove(Guid targetId)
    {
        gate.EnterWriteLock();
        try
        {
            deleted.Add(targetId);
            if (!slotOf.Remove(targetId, out var slot)) return;
            var target = slots[slot]!;
            words.Remove(slot, DescriptorRows(target.Descriptors));
            slots[slot] = null;
            outlines.Clear(slot);
            for (var entry = 0; entry < shapeEntries.Count; entry++)
                if (shapeEntries[entry]?.Slot == slot)
                {
                    shapes.Clear(entry);
                    shapeEntries[entry] = null;
                    freeShapeEntries.Push(entry);
                }
            freeSlots.Push(slot);
            target.Descriptors.Dispose(); // safe: matches hold the read lock while they use a target
        }
        finally { gate.ExitWriteLock(); }
    }

    /// <summary>Stops (false) or resumes (true) matching the target at once, whether or not it has been added yet.</summary>
    public void SetActive(Guid targetId, bool active)
    {
        gate.EnterWriteLock();
        try { if (active) inactive.Remove(targetId); else inactive.Add(targetId); }
        finally { gate.ExitWriteLock(); }
    }

    /// <summary>The best verified match, or null when no registered target is in the image. Inactive targets
    /// and <paramref name="exclude"/> are left out before the shortlist is cut, so they take no candidate's place;
    /// <paramref name="minInliers"/> overrides the configured minimum (recognize-eval's calibration uses it).</summary>
    public TargetMatch? Match(ImageFeatures query, Guid? exclude = null, int? minInliers = null)
    {
        if (query.Count < 8) return null;
        var descriptors = DescriptorRows(query.Descriptors);
        gate.EnterReadLock();
        try
        {
            var minimum = minInliers ?? options.MinInliers;
            var verified = new List<VerifiedCandidate>();
            bool Eligible(int slot) => slots[slot] is { } target && target.TargetId != exclude && !inactive.Contains(target.TargetId);
            // Twice the candidates are shortlisted; the second half is verified only when the best match's colours
            // differ from its target's: then it may be a colour twin of the right target, which 福 in many fonts
            // and colours can push out of the first half.
            var shortlist = words.Shortlist(descriptors, slots.Count, 2 * options.Candidates, options.MinVotes, Eligible);
            for (var i = 0; i < shortlist.Length; i++)
            {
                var best = verified.MaxBy(v => v.Match.Inliers);
                if (i >= options.Candidates && (best is null || best.ColourAgreement >= ColourSignature.MinAgreement)) break;
                // A clear match in its target's colours among the best-voted candidates is not going to be beaten by a worse-voted one.
                if (best is not null && best.Match.Inliers >= 3 * minimum && best.ColourAgreement >= ColourSignature.MinAgreement) break;
                var target = slots[shortlist[i]]!;
                if (Verify(query, target, minimum) is { } candidate) verified.Add(new VerifiedCandidate(query, target, candidate));
            }
            if (verified.Count == 0) return MatchOutline(query, Eligible);
            var chosen = Chosen(verified);
            // Colours that disagree may be a colour twin of a target the shortlist missed: its outline can name it.
            if (chosen.ColourAgreement < ColourSignature.MinAgreement && MatchOutline(query, Eligible) is { } outline) return outline;
            return chosen.Match;
        }
        finally { gate.ExitReadLock(); }
    }

    /// <summary>Matches the query's descriptors to the target's (ratio test) and fits a homography; a match needs
    /// enough inliers, a sane inlier ratio and a well-conditioned homography that projects the target to a
    /// convex quadrilateral of some size inside the frame's neighbourhood.</summary>
    public static TargetMatch? Verify(ImageFeatures query, IndexedTarget target, int minInliers)
    {
        if (target.Points.Length < 8 || query.Count < 8) return null;
        var nearest = HammingMatcher.NearestTwo(query.Descriptors, target.Descriptors);
        var good = Enumerable.Range(0, nearest.Length).Where(i => nearest[i].Distance < RatioTest * nearest[i].Second).ToArray();
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
        if (inliers < CloseUpInliers * minInliers && VisibleShare(corners, query.Width, query.Height) < MinVisibleShare) return null;
        return new TargetMatch(target.TargetId, target.TenantId, Confidence(inliers, inlierRatio), inliers, Math.Round(inlierRatio, 3),
            InOriginalPixels(corners, query.Scale));
    }

    /// <summary>The share of its target that a match must show inside the frame unless it has CloseUpInliers times the
    /// minimum inliers. Right matches on the 1,000-target sets showed 0.8 or more; close-ups of posters at 1.7 times the
    /// frame's width show about a third, with 34 to 115 inliers.</summary>
    public const double MinVisibleShare = 0.5;
    /// <summary>How many times the minimum inliers a match needs to show less than MinVisibleShare of its target.</summary>
    public const int CloseUpInliers = 2;

    /// <summary>The share of the quadrilateral (a convex one, see IsWellConditioned) that lies inside the frame.</summary>
    internal static double VisibleShare(Point2f[] corners, int width, int height)
    {
        Point2f[] frame = [new(0, 0), new(width, 0), new(width, height), new(0, height)];
        return Cv2.IntersectConvexConvex(corners, frame, out _, handleNested: true) / Math.Abs(Cv2.ContourArea(corners));
    }

    /// <summary>The verified candidate with the most inliers, unless other candidates explain the same region of the
    /// scan: targets that are one image in grey (a 福 printed black on red and on cream) verify alike, and then the
    /// colours decide. Candidates whose colours agree about equally well (the same image registered twice) are told
    /// apart by their inliers again.</summary>
    private static VerifiedCandidate Chosen(List<VerifiedCandidate> verified)
    {
        var best = verified.MaxBy(v => v.Match.Inliers)!;
        var twins = verified.Where(v => SameRegion(v.Match, best.Match)).ToList();
        if (twins.Count == 1) return best;
        var bestAgreement = twins.Max(v => v.ColourAgreement);
        return twins.Where(v => v.ColourAgreement >= bestAgreement - ColourSignature.AgreementTolerance).MaxBy(v => v.Match.Inliers)!;
    }

    /// <summary>The target whose colour signature the scan shows where one of its quadrilaterals (see Outlines) or one of
    /// its regions matching a shape of the target (see Shapes) puts the target's corners, or null. The OutlineIndex ranks
    /// the eligible targets by their coarse signatures, and the shape index ranks target shapes for each region; the best
    /// are compared in full (see Placed), and the best must lead the next target clearly. Called under the read lock.</summary>
    private TargetMatch? MatchOutline(ImageFeatures query, Func<int, bool> eligible)
    {
        if (query.Colour is not { } colour) return null;
        var (views, coarseViews, regions) = Appearance(colour);
        // Per candidate target: whether its outline ranked among the best, and the regions that look like its shapes.
        var candidates = new Dictionary<int, (bool Outline, List<(Shape Region, Shape Shape)> Pairs)>();
        (bool Outline, List<(Shape, Shape)> Pairs) Candidate(int slot) =>
            candidates.TryGetValue(slot, out var candidate) ? candidate : candidates[slot] = (false, []);
        foreach (var (slot, _) in views.Count == 0 ? [] : outlines.Ranked(coarseViews, Outlines.Shortlisted, eligible))
            candidates[slot] = (true, Candidate(slot).Pairs);
        // Each region with the target shapes most like it and near it in colour: a scan's many regions (clutter, letters)
        // would crowd a region's true shape out of one ranking of them all, and shapes alone cannot tell the many round
        // logos apart.
        foreach (var region in regions)
            foreach (var (slot, shape) in shapes.Ranked(Shapes.Descriptor(region.Polar), Shapes.Ranked, e => shapeEntries[e] is { } held && eligible(held.Slot))
                         .Where(r => r.Score >= Shapes.MinLikeness && region.ChromaDistance(shapeEntries[r.Id]!.Value.Shape) <= Shapes.MaxChromaDistance)
                         .OrderByDescending(r => Shapes.Likeness(r.Score, region, shapeEntries[r.Id]!.Value.Shape)).Take(Shapes.PerRegion)
                         .Select(r => shapeEntries[r.Id]!.Value))
                Candidate(slot).Pairs.Add((region, shape));

        // Outlines decide first, among themselves: a colour twin's refined shape placement must not take the lead from the
        // right outline.
        using var quick = new QuickSignatures(colour);
        var byOutline = candidates.Where(c => c.Value.Outline).Select(c => (Slot: c.Key, Placement: Placed(slots[c.Key]!, colour, quick, views, [])))
            .Where(p => p.Placement is not null).OrderByDescending(p => p.Placement!.Correlation)
            .Select((p, rank) => (p.Slot, Placement: rank < Outlines.Refined ? RefinedOutline(slots[p.Slot]!, colour, quick, p.Placement!) : p.Placement));
        var byShape = candidates.Select(c => (Slot: c.Key, Placement: Placed(slots[c.Key]!, colour, quick, [], c.Value.Pairs)))
            .Where(p => p.Placement is not null).OrderByDescending(p => p.Placement!.Correlation).Take(Shapes.Refined)
            .Select(p => (p.Slot, Placement: (Placement?)Refined(slots[p.Slot]!, colour, quick, p.Placement!)));
        if ((Decided(query, byOutline) ?? Decided(query, byShape)) is not { } decided) return null;
        var (chosen, best) = decided;
        var target = slots[chosen]!;
        return new TargetMatch(target.TargetId, target.TenantId, Outlines.Confidence(best.Correlation), 0, 0,
            InOriginalPixels(best.Corners, query.Scale), best.Kind);
    }

    /// <summary>The best placement, if it has its Margin and leads the next target's by Outlines.MinLead.</summary>
    private (int Slot, Placement Placement)? Decided(ImageFeatures query, IEnumerable<(int Slot, Placement? Placement)> placements)
    {
        var best = placements.Where(p => p.Placement is not null).OrderByDescending(p => p.Placement!.Correlation).Take(2).ToList();
        if (best.Count == 0 || Margin(query, slots[best[0].Slot]!, best[0].Placement!) < 0) return null;
        if (best.Count > 1 && best[0].Placement!.Correlation - best[1].Placement!.Correlation < Outlines.MinLead) return null;
        return (best[0].Slot, best[0].Placement!);
    }

    /// <summary>The scan's quadrilateral views (see Outlines.Views) with their Centred signatures, compared with every
    /// candidate target, and their coarse ones for the OutlineIndex, and its regions (see Shapes.Regions), from one pass
    /// over its edges.</summary>
    private static (List<(Point2f[] Corners, float[] Centred)> Views, float[] Coarse, List<Shape> Regions) Appearance(Mat colour)
    {
        var regions = new List<Shape>();
        var views = Outlines.Views(colour, regions);
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
            foreach (var (turn, _) in Shapes.Turns(region.Polar, shape.Polar, Shapes.TurnsTried).Where(t => t.Correlation >= Shapes.MinGridCorrelation))
            {
                var corners = Shapes.Project(region, shape, turn, UnitCorners);
                if (IsWellConditioned(corners, colour.Width, colour.Height)) Consider(corners, quick.Centred(corners), MatchKind.Shape);
            }
        return best;
    }

    internal sealed record Placement(double Correlation, Point2f[] Corners, MatchKind Kind);

    /// <summary>The placement's correlation above what it needs. An outline supported by the target's own features (see
    /// Supporting) needs Outlines.MinCorrelation. Anything else needs Shapes.MinCorrelation: without that support a plain
    /// logo's colours can correlate with another plain logo's, and a shape's corners are refined to fit the colours, which
    /// lifts a wrong target's correlation too.</summary>
    private static double Margin(ImageFeatures query, IndexedTarget target, Placement placement)
    {
        var supported = placement.Kind == MatchKind.Outline && placement.Correlation >= Outlines.MinCorrelation
            && Supporting(query, target, placement.Corners) >= Outlines.MinSupport;
        return placement.Correlation - (supported ? Outlines.MinCorrelation : Shapes.MinCorrelation);
    }

    /// <summary>A placement with its corners moved, one coordinate at a time in shrinking steps (4 % to 0.5 % of the
    /// diagonal), while the colours correlate better (by QuickSignatures), then measured by ColourSignature.Of like an
    /// outline's: one region's affine view misses the perspective and the region's blurred edge, which a plain logo's few
    /// colours punish.</summary>
    internal static Placement Refined(IndexedTarget target, Mat colour, QuickSignatures quick, Placement placement)
    {
        var fine = ColourSignature.Centred(target.Colour);
        var corners = placement.Corners;
        if (placement.Correlation >= Shapes.RefineFrom)
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
        return placement with { Correlation = ColourSignature.Correlation(fine, ColourSignature.Centred(ColourSignature.Of(colour, corners))), Corners = corners };
    }

    /// <summary>An outline's placement refined (see Refined) where that brings it to Shapes.MinCorrelation, else as found: a
    /// corner the edges round off or a dilated edge puts a few pixels off costs a small plate's colours several hundredths,
    /// but refining lifts a wrong target's correlation too, so a refined outline needs what a shape needs.</summary>
    private static Placement RefinedOutline(IndexedTarget target, Mat colour, QuickSignatures quick, Placement found) =>
        Refined(target, colour, quick, found) is { Correlation: >= Shapes.MinCorrelation } refined && refined.Correlation > found.Correlation ? refined : found;

    /// <summary>How well the scan shows the target alone by its outline or shapes (the grader's check, with no other target
    /// to lead): the best placement's Margin, negative when it would not be accepted.</summary>
    internal static double AppearanceAlone(ImageFeatures query, IndexedTarget target)
    {
        if (query.Colour is not { } colour || target.Colour is null) return -1;
        var (views, _, regions) = Appearance(colour);
        var pairs = (from region in regions
                     from shape in target.Shapes ?? []
                     where region.ChromaDistance(shape) <= Shapes.MaxChromaDistance
                        && ColourSignature.Correlation(Shapes.Descriptor(region.Polar), Shapes.Descriptor(shape.Polar)) >= Shapes.MinLikeness
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

    /// <summary>Corners in reduced query pixels as a match reports them: in the original image's pixels, to 0.1 px.</summary>
    private static double[][] InOriginalPixels(Point2f[] corners, double scale) =>
        corners.Select(c => new[] { Math.Round(c.X / scale, 1), Math.Round(c.Y / scale, 1) }).ToArray();

    /// <summary>Whether two matches put their targets' corners in the same places (within 5 % of the first one's diagonal).</summary>
    private static bool SameRegion(TargetMatch a, TargetMatch b)
    {
        var diagonal = Math.Sqrt(Math.Pow(a.Corners[2][0] - a.Corners[0][0], 2) + Math.Pow(a.Corners[2][1] - a.Corners[0][1], 2));
        return a.Corners.Zip(b.Corners).All(c => Math.Sqrt(Math.Pow(c.First[0] - c.Second[0], 2) + Math.Pow(c.First[1] - c.Second[1], 2)) < 0.05 * diagonal);
    }

    /// <summary>A verified match; its colour agreement is measured when first asked for, since it decodes the query in colour.</summary>
    private sealed class VerifiedCandidate(ImageFeatures query, IndexedTarget target, TargetMatch match)
    {
        private double? colourAgreement;
        public TargetMatch Match { get; } = match;

        /// <summary>ColourSignature.Agreement of the query's colours with the target's; 1 when either has no colours.</summary>
        public double ColourAgreement => colourAgreement ??= target.Colour is null || query.Colour is not { } colour ? 1
            : ColourSignature.Agreement(target.Colour, colour,
                Match.Corners.Select(c => new Point2f((float)(c[0] * query.Scale), (float)(c[1] * query.Scale))).ToArray());
    }

    /// <summary>The probability that a verified match names the right target: a logistic regression on
    /// ln(inliers) and the inlier ratio, fitted by <c>./arfleet recognize-eval --calibrate</c> on the 1,000-target
    /// set of <c>make-dataset --seed 7</c> (each query against its own target and against the best other target
    /// the index verifies); refit when features or verification change.</summary>
    public static double Confidence(int inliers, double inlierRatio) =>
        Math.Round(1 / (1 + Math.Exp(-(-3.166 + 0.662 * Math.Log(inliers) + 5.608 * inlierRatio))), 3);

    /// <summary>A real view of a flat target projects to a convex quadrilateral of some size, with no side
    /// collapsed against its opposite; a degenerate homography (a few coincident matches) does not.</summary>
    private static bool IsWellConditioned(Point2f[] c, int width, int height)
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

    /// <summary>The descriptors as 32-byte rows in one managed array.</summary>
    public static byte[] DescriptorRows(Mat descriptors)
    {
        var bytes = new byte[descriptors.Rows * descriptors.Cols];
        if (bytes.Length == 0) return bytes;
        if (descriptors.IsContinuous()) Marshal.Copy(descriptors.Data, bytes, 0, bytes.Length);
        else using (var copy = descriptors.Clone()) Marshal.Copy(copy.Data, bytes, 0, bytes.Length);
        return bytes;
    }

    public void Dispose() => gate.Dispose();
}

/// <summary>An inverted file over binary words: each of <c>tables</c> hash functions reads a fixed random
/// choice of <c>bits</c> bits of a 256-bit ORB descriptor, and every bucket lists the target features
/// (slot and feature number) whose descriptor has that word: locality-sensitive hashing for Hamming space.
/// A query descriptor votes once for each target with a feature that shares a word with it in any table and
/// is within maxDistance bits of it, so chance collisions, which would otherwise outvote a small target, do not
/// count. A vote weighs the word's rarity (idf): words that many targets share, as the edges of flat logos do,
/// say little, and the most common ones (stop words, far above a bucket's mean length) are not read at all.
/// A target's score is its weighted votes per feature it has, the share of it that the scan shows: summed
/// votes alone favour detailed posters, whose thousand features collect chance votes that a plain logo's
/// hundred cannot. A query reads about features × tables × (a bucket's mean length) entries; long words
/// (22 bits) keep buckets short at 50,000 targets and many tables (16) keep the chance that two near
/// descriptors share a word high (measured, see README). There is no vocabulary to train
/// or keep in step across workers. Not thread-safe: the caller serialises writers against readers.</summary>
public sealed class BinaryWordIndex
{
    public const int MaxFeatures = 1 << FeatureBits;
    private const int FeatureBits = 11;
    private const int DescriptorBytes = 32;
    private readonly int maxDistance;
    private readonly int tables;
    private readonly int bits;
    // Per table, four masks: the sampled bits of each of the descriptor's four 64-bit words.
    private readonly ulong[] sampledBits;
    // Buckets are chains of fixed-size blocks rather than millions of small arrays: adding hundreds of millions
    // of entries then costs no garbage collection. Each table numbers its own blocks and keeps them in chunks of
    // 1 MB, so the pool grows without copying, past the 2^31 elements one array can hold, and the tables of a new
    // target are filled in parallel. A block's first int links to the bucket's previous block.
    private const int BlockEntries = 15;
    private const int BlockSize = BlockEntries + 1;
    private const int ChunkBits = 14;
    private readonly int[][][] chunks;
    private readonly int[] blocksUsed; // per table; block 0 stands for "none"
    private long entries;
    private readonly int[] newestBlock;
    private readonly int[] lengths;
    private readonly List<ulong[]?> descriptorsOf = [];

    public BinaryWordIndex(int tables, int bits, int maxDistance)
    {
        this.maxDistance = maxDistance;
        this.tables = tables;
        this.bits = bits;
        var random = new Random(20260101); // fixed: every worker hashes alike (not required, but reproducible)
        sampledBits = new ulong[tables * 4];
        for (var t = 0; t < tables; t++)
            foreach (var bit in Enumerable.Range(0, DescriptorBytes * 8).OrderBy(_ => random.Next()).Take(bits))
                sampledBits[t * 4 + bit / 64] |= 1UL << (bit % 64);
        newestBlock = new int[tables << bits];
        lengths = new int[tables << bits];
        chunks = Enumerable.Range(0, tables).Select(_ => Array.Empty<int[]>()).ToArray();
        blocksUsed = Enumerable.Repeat(1, tables).ToArray();
    }

    /// <summary>The table's sampled bits of the descriptor, side by side, in the table's range of buckets.</summary>
    private int Bucket(int table, ReadOnlySpan<byte> descriptor)
    {
        var words = MemoryMarshal.Cast<byte, ulong>(descriptor);
        ulong key = 0;
        var width = 0;
        for (var i = 0; i < 4; i++)
        {
            var mask = sampledBits[table * 4 + i];
            key |= Extract(words[i], mask) << width;
            width += BitOperations.PopCount(mask);
        }
        return (table << bits) | (int)key;
    }

    /// <summary>The bits of value under mask, packed to the right (PEXT where the processor has it).</summary>
    private static ulong Extract(ulong value, ulong mask) =>
        Bmi2.X64.IsSupported ? Bmi2.X64.ParallelBitExtract(value, mask) : PackBits(value, mask);

    /// <summary>Extract without PEXT, one bit at a time.</summary>
    internal static ulong PackBits(ulong value, ulong mask)
    {
        ulong packed = 0;
        for (var (at, rest) = (0, mask); rest != 0; at++, rest &= rest - 1)
            packed |= ((value >> BitOperations.TrailingZeroCount(rest)) & 1) << at;
        return packed;
    }

    public void Add(int slot, byte[] descriptors)
    {
        var count = Math.Min(descriptors.Length / DescriptorBytes, MaxFeatures);
        while (descriptorsOf.Count <= slot) descriptorsOf.Add(null);
        descriptorsOf[slot] = MemoryMarshal.Cast<byte, ulong>(descriptors.AsSpan(0, count * DescriptorBytes)).ToArray();
        // Tables share no bucket and no block, so each is filled on its own thread: a worker loading its index at
        // start-up spends most of its time here, in memory writes scattered over hundreds of megabytes.
        Parallel.For(0, tables, t =>
        {
            for (var feature = 0; feature < count; feature++)
                Append(t, Bucket(t, descriptors.AsSpan(feature * DescriptorBytes, DescriptorBytes)), (slot << FeatureBits) | feature);
        });
        entries += (long)count * tables;
    }

    private void Append(int table, int bucket, int entry)
    {
        var used = lengths[bucket] % BlockEntries;
        if (used == 0)
        {
            if (blocksUsed[table] >> ChunkBits == chunks[table].Length) chunks[table] = [.. chunks[table], new int[BlockSize << ChunkBits]];
            var block = blocksUsed[table]++;
            Block(table, block)[0] = newestBlock[bucket];
            newestBlock[bucket] = block;
        }
        Block(table, newestBlock[bucket])[1 + used] = entry;
        lengths[bucket]++;
    }

    /// <summary>A block of a table: the link to the bucket's previous block, then the entries.</summary>
    private Span<int> Block(int table, int block) =>
        chunks[table][block >> ChunkBits].AsSpan((block & ((1 << ChunkBits) - 1)) * BlockSize, BlockSize);

    /// <summary>The bucket's blocks, oldest first, with how many entries each holds.</summary>
    private List<(int Block, int Count)> Blocks(int bucket)
    {
        var blocks = new List<(int, int)>();
        var length = lengths[bucket];
        for (var block = newestBlock[bucket]; block != 0 && length > 0; block = Block(bucket >> bits, block)[0])
        {
            var count = blocks.Count == 0 && length % BlockEntries != 0 ? length % BlockEntries : BlockEntries;
            blocks.Add((block, count));
        }
        blocks.Reverse();
        return blocks;
    }

    public void Remove(int slot, byte[] descriptors)
    {
        var count = Math.Min(descriptors.Length / DescriptorBytes, MaxFeatures);
        for (var feature = 0; feature < count; feature++)
            for (var t = 0; t < tables; t++)
            {
                var bucket = Bucket(t, descriptors.AsSpan(feature * DescriptorBytes, DescriptorBytes));
                var blocks = Blocks(bucket);
                var kept = new List<int>(lengths[bucket]);
                foreach (var (block, held) in blocks)
                    for (var i = 0; i < held; i++)
                        if (Block(t, block)[1 + i] >> FeatureBits != slot) kept.Add(Block(t, block)[1 + i]);
                // Survivors are rewritten into the oldest blocks; the blocks left over stay unused.
                for (var i = 0; i < kept.Count; i++) Block(t, blocks[i / BlockEntries].Block)[1 + i % BlockEntries] = kept[i];
                var needed = (kept.Count + BlockEntries - 1) / BlockEntries;
                newestBlock[bucket] = needed == 0 ? 0 : blocks[needed - 1].Block;
                entries -= lengths[bucket] - kept.Count;
                lengths[bucket] = kept.Count;
            }
        descriptorsOf[slot] = null;
    }

    /// <summary>The slots with the highest idf-weighted votes per feature, best first, at most <paramref name="count"/> and
    /// each with at least <paramref name="minVotes"/> votes.</summary>
    public int[] Shortlist(byte[] query, int slotCount, int count, int minVotes, Func<int, bool>? eligible = null)
    {
        var votes = ArrayPool<int>.Shared.Rent(Math.Max(1, slotCount));
        var scores = ArrayPool<float>.Shared.Rent(Math.Max(1, slotCount));
        var lastVoter = ArrayPool<int>.Shared.Rent(Math.Max(1, slotCount));
        // Per query descriptor and table: the bucket, its length and its newest block.
        var voters = query.Length / DescriptorBytes;
        var buckets = ArrayPool<int>.Shared.Rent(Math.Max(1, voters * tables));
        var bucketLengths = ArrayPool<int>.Shared.Rent(Math.Max(1, voters * tables));
        var bucketHeads = ArrayPool<int>.Shared.Rent(Math.Max(1, voters * tables));
        try
        {
            Array.Clear(votes, 0, slotCount);
            Array.Clear(scores, 0, slotCount);
            Array.Fill(lastVoter, -1, 0, slotCount);
            var words = MemoryMarshal.Cast<byte, ulong>(query.AsSpan());
            var targets = Math.Max(1, slotCount);
            var meanLength = Math.Max(1.0, (double)entries / (tables << bits));
            // A word shared by more than a few times the mean number of entries is a stop word.
            var stopWordLength = (int)Math.Min(int.MaxValue, 16 * meanLength + 8);
            for (var voter = 0; voter < voters; voter++)
                for (var t = 0; t < tables; t++)
                    buckets[voter * tables + t] = Bucket(t, query.AsSpan(voter * DescriptorBytes, DescriptorBytes));
            // The bucket heads span hundreds of megabytes, so nearly every read of one misses the cache. All are read
            // first, in a loop of independent loads that the processor overlaps, rather than one miss at a time.
            for (var i = 0; i < voters * tables; i++)
            {
                bucketLengths[i] = lengths[buckets[i]];
                if (bucketLengths[i] != 0) bucketHeads[i] = newestBlock[buckets[i]];
            }
            for (var voter = 0; voter < voters; voter++)
            {
                var q = words.Slice(voter * 4, 4);
                for (var t = 0; t < tables; t++)
                {
                    var remaining = bucketLengths[voter * tables + t];
                    if (remaining == 0 || remaining > stopWordLength) continue;
                    var weight = (float)Math.Log(1 + targets / (double)remaining);
                    var held = remaining % BlockEntries == 0 ? BlockEntries : remaining % BlockEntries;
                    for (var block = bucketHeads[voter * tables + t]; remaining > 0; remaining -= held, held = BlockEntries)
                    {
                        var blockEntries = Block(t, block);
                        block = blockEntries[0];
                        foreach (var entry in blockEntries.Slice(1, held))
                        {
                            var slot = entry >> FeatureBits;
                            if (lastVoter[slot] == voter) continue;
                            var d = descriptorsOf[slot]!;
                            var at = (entry & (MaxFeatures - 1)) * 4;
                            var distance = BitOperations.PopCount(q[0] ^ d[at]) + BitOperations.PopCount(q[1] ^ d[at + 1])
                                + BitOperations.PopCount(q[2] ^ d[at + 2]) + BitOperations.PopCount(q[3] ^ d[at + 3]);
                            if (distance > maxDistance) continue;
                            lastVoter[slot] = voter;
                            votes[slot]++;
                            scores[slot] += weight;
                        }
                    }
                }
            }

            var best = new BestScores(count);
            for (var slot = 0; slot < slotCount; slot++)
            {
                if (votes[slot] < minVotes) continue;
                var score = scores[slot] / (descriptorsOf[slot]!.Length / 4);
                if (best.Admits(score) && eligible?.Invoke(slot) != false) best.Offer(slot, score);
            }
            return best.Items.Select(b => b.Id).ToArray();
        }
        finally
        {
            ArrayPool<int>.Shared.Return(votes);
            ArrayPool<float>.Shared.Return(scores);
            ArrayPool<int>.Shared.Return(lastVoter);
            ArrayPool<int>.Shared.Return(buckets);
            ArrayPool<int>.Shared.Return(bucketLengths);
            ArrayPool<int>.Shared.Return(bucketHeads);
        }
    }
}
