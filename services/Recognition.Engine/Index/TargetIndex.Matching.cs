using OpenCvSharp;
using static ArFleet.Recognition.Engine.RecognitionThresholds;

namespace ArFleet.Recognition.Engine;

/// <remarks>The matching policy: features first (a shortlist by votes, then verification), then the outline, then shapes.</remarks>
public sealed partial class TargetIndex
{
    /// <summary>Match's policy, under the read lock: features first; the outline, then shapes, when no candidate verifies or
    /// the verified match's colours disagree with its target's. The best match comes first; with <paramref name="all"/>, every
    /// other target that verifies follows it (see Others).</summary>
    private List<TargetMatch> Matched(ImageFeatures query, byte[] descriptors, Guid? exclude, int minimum, bool all)
    {
        var verified = new List<VerifiedCandidate>();
        bool Eligible(int slot) => slots[slot] is { } target && target.TargetId != exclude && !inactive.Contains(target.TargetId);
        // Twice the candidates are shortlisted; the second half is verified only when the best match's colours
        // differ from its target's: then it may be a colour twin of the right target, which 福 in many fonts
        // and colours can push out of the first half.
        var shortlist = words.ScoredShortlist(descriptors, slots.Count, 2 * options.Candidates, options.MinVotes, Eligible);
        var next = 0;
        for (; next < shortlist.Count; next++)
        {
            var best = verified.MaxBy(v => v.Match.Inliers);
            if (next >= options.Candidates && (best is null || best.ColourAgreement >= ColourMatching.MinAgreement)) break;
            // A clear match in its target's colours among the best-voted candidates is not going to be beaten by a worse-voted one.
            if (best is not null && best.Match.Inliers >= 3 * minimum && best.ColourAgreement >= ColourMatching.MinAgreement) break;
            Verify(shortlist[next].Id);
        }
        if (verified.Count == 0) return MatchAppearance(query, Eligible) is { } appearance ? [appearance] : [];
        var chosen = Chosen(verified);
        // Colours that disagree may be a colour twin of a target the shortlist missed: its outline can name it.
        if (chosen.ColourAgreement < ColourMatching.MinAgreement && MatchAppearance(query, Eligible) is { } outline) return [outline];
        if (!all) return [chosen.Match];
        // Another target in the frame votes about as fully as the best one; a chance candidate gets a small share of its votes.
        for (; next < Math.Min(options.Candidates, shortlist.Count); next++)
            if (shortlist[next].Score >= MultipleTargets.MinScoreShare * shortlist[0].Score) Verify(shortlist[next].Id);
        return [chosen.Match, .. Others(verified, chosen)];

        void Verify(int slot)
        {
            var target = slots[slot]!;
            if (FeatureVerification.Verify(query, target, minimum) is { } candidate) verified.Add(new VerifiedCandidate(query, target, candidate));
        }
    }

    /// <summary>The verified targets besides the chosen one, best first: those that explain its region as well as it does
    /// (the same image registered twice: equal colours, at least half its inliers), then, region by region, each other
    /// region's chosen target and its equals, when its colours agree with that target's.</summary>
    private static IEnumerable<TargetMatch> Others(List<VerifiedCandidate> verified, VerifiedCandidate chosen)
    {
        var rest = verified.OrderByDescending(v => v.Match.Inliers).ToList();
        for (var pick = chosen; ; pick = Chosen(rest))
        {
            var region = rest.Where(v => SameRegion(v.Match, pick.Match)).ToList();
            if (pick != chosen && pick.ColourAgreement >= ColourMatching.MinAgreement) yield return pick.Match;
            if (pick == chosen || pick.ColourAgreement >= ColourMatching.MinAgreement)
                foreach (var equal in region.Where(v => v != pick && v.ColourAgreement >= pick.ColourAgreement - ColourMatching.AgreementTolerance
                             && 2 * v.Match.Inliers >= pick.Match.Inliers))
                    yield return equal.Match;
            rest.RemoveAll(v => v == pick || region.Contains(v));
            if (rest.Count == 0) yield break;
        }
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
        return twins.Where(v => v.ColourAgreement >= bestAgreement - ColourMatching.AgreementTolerance).MaxBy(v => v.Match.Inliers)!;
    }

    /// <summary>The target whose colour signature the scan shows where one of its quadrilaterals (see Outlines) puts the
    /// target's corners, else where one of its regions matching a shape of the target (see Shapes) does, or null. Outlines
    /// decide first, among themselves: a colour twin's refined shape placement must not take the lead from the right
    /// outline. Both come from one pass over the scan's edges (see Appearance).</summary>
    private TargetMatch? MatchAppearance(ImageFeatures query, Func<int, bool> eligible)
    {
        if (query.Colour is not { } colour) return null;
        var (views, coarseViews, regions) = Appearance(colour);
        var outlined = views.Count == 0 ? [] : outlines.Ranked(coarseViews, OutlineMatching.Shortlisted, eligible).Select(r => r.Id).ToList();
        using var quick = new QuickSignatures(colour);
        return MatchOutline(query, colour, quick, views, outlined) ?? MatchShape(query, colour, quick, regions, outlined, eligible);
    }

    /// <summary>The outline match among the targets the OutlineIndex ranked best by their coarse signatures
    /// (<paramref name="outlined"/>, best first): each is compared in full (see Placed), the best few are refined, and the
    /// best must lead the next target clearly.</summary>
    private TargetMatch? MatchOutline(ImageFeatures query, Mat colour, QuickSignatures quick, List<(Point2f[] Corners, float[] Centred)> views,
        List<int> outlined)
    {
        var placements = outlined.Select(slot => (Slot: slot, Placement: Placed(slots[slot]!, colour, quick, views, [])))
            .Where(p => p.Placement is not null).OrderByDescending(p => p.Placement!.Correlation)
            .Select((p, rank) => (p.Slot, Placement: rank < OutlineMatching.Refined
                ? RefinedOutline(slots[p.Slot]!, colour, quick, p.Placement!) : p.Placement));
        return Answer(query, Decided(query, placements));
    }

    /// <summary>The shape match: each region of the scan with the target shapes most like it and near it in colour (a
    /// scan's many regions, clutter and letters, would crowd a region's true shape out of one ranking of them all, and
    /// shapes alone cannot tell the many round logos apart); each target's pairs place it (see Placed), the best are
    /// refined, and the best must lead the next target clearly. Targets come in the order outline and shape candidates
    /// always had, <paramref name="outlined"/> first, since of equal correlations the first stays ahead.</summary>
    private TargetMatch? MatchShape(ImageFeatures query, Mat colour, QuickSignatures quick, List<Shape> regions, List<int> outlined,
        Func<int, bool> eligible)
    {
        var pairs = outlined.ToDictionary(slot => slot, _ => new List<(Shape Region, Shape Shape)>());
        foreach (var region in regions)
            foreach (var (slot, shape) in shapes
                         .Ranked(Shapes.Descriptor(region.Polar), ShapeMatching.Ranked, e => shapeEntries[e] is { } held && eligible(held.Slot))
                         .Where(r => r.Score >= ShapeMatching.MinLikeness
                             && region.ChromaDistance(shapeEntries[r.Id]!.Value.Shape) <= ShapeMatching.MaxChromaDistance)
                         .OrderByDescending(r => Shapes.Likeness(r.Score, region, shapeEntries[r.Id]!.Value.Shape)).Take(ShapeMatching.PerRegion)
                         .Select(r => shapeEntries[r.Id]!.Value))
                (pairs.TryGetValue(slot, out var paired) ? paired : pairs[slot] = []).Add((region, shape));
        var placements = pairs.Select(p => (Slot: p.Key, Placement: Placed(slots[p.Key]!, colour, quick, [], p.Value)))
            .Where(p => p.Placement is not null).OrderByDescending(p => p.Placement!.Correlation).Take(ShapeMatching.Refined)
            .Select(p => (p.Slot, Placement: (Placement?)Refined(slots[p.Slot]!, colour, quick, p.Placement!)));
        return Answer(query, Decided(query, placements));
    }

    /// <summary>The decided placement as a match: the outline's confidence, the corners in the original image's pixels.</summary>
    private TargetMatch? Answer(ImageFeatures query, (int Slot, Placement Placement)? decided)
    {
        if (decided is not { } answer) return null;
        var (chosen, best) = answer;
        var target = slots[chosen]!;
        return new TargetMatch(target.TargetId, target.TenantId, Outlines.Confidence(best.Correlation), 0, 0,
            FeatureVerification.InOriginalPixels(best.Corners, query.Scale), best.Kind);
    }

    /// <summary>The best placement, if it has its Margin and leads the next target's by OutlineMatching.MinLead.</summary>
    private (int Slot, Placement Placement)? Decided(ImageFeatures query, IEnumerable<(int Slot, Placement? Placement)> placements)
    {
        var best = placements.Where(p => p.Placement is not null).OrderByDescending(p => p.Placement!.Correlation).Take(2).ToList();
        if (best.Count == 0 || Margin(query, slots[best[0].Slot]!, best[0].Placement!) < 0) return null;
        if (best.Count > 1 && best[0].Placement!.Correlation - best[1].Placement!.Correlation < OutlineMatching.MinLead) return null;
        return (best[0].Slot, best[0].Placement!);
    }

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
}
