using ArFleet.Recognition;
using ArFleet.Testing;
using Microsoft.Extensions.Options;
using OpenCvSharp;

namespace ArFleet.UnitTests;

/// <summary>Recognition by a target's outline (Outlines), when its features alone do not verify.</summary>
public class OutlineTests
{
    private static readonly IOptions<RecognitionOptions> Options = Microsoft.Extensions.Options.Options.Create(new RecognitionOptions());
    private readonly FeatureExtractor extractor = new(Options);
    private readonly TargetGrader grader;

    public OutlineTests() => grader = new TargetGrader(extractor, Options);

    private IndexedTarget Register(TargetIndex index, byte[] image)
    {
        var graded = grader.Assess(image);
        Assert.Null(graded.Grade.RejectionReason);
        var target = graded.ToIndexed(Guid.NewGuid(), Guid.NewGuid());
        Assert.True(index.Add(target));
        return target;
    }

    [Theory]
    [InlineData(51)]
    [InlineData(52)]
    [InlineData(57)]
    public void A_label_seen_small_and_blurred_is_recognised_by_its_outline_with_its_corners(int seed)
    {
        using var index = new TargetIndex(Options);
        var target = Register(index, TestImages.Label(seed));
        var scan = TestImages.CameraScan(TestImages.Label(seed), seed, share: 0.15, extraBlur: 1.6, sceneShapes: 8);

        using var query = extractor.ExtractQuery(scan.Jpeg);
        Assert.Null(TargetIndex.Verify(query, target, Options.Value.MinInliers)); // too small and blurred for the features alone
        var match = index.Match(query);
        Assert.NotNull(match);
        Assert.Equal((target.TargetId, MatchKind.Outline), (match.TargetId, match.Kind));
        Assert.InRange(match.Confidence, 0.5, 1.0);
        for (var i = 0; i < 4; i++)
        {
            Assert.InRange(match.Corners[i][0], scan.Corners[i].X - 6, scan.Corners[i].X + 6);
            Assert.InRange(match.Corners[i][1], scan.Corners[i].Y - 6, scan.Corners[i].Y + 6);
        }
    }

    [Theory]
    [InlineData(56)]
    [InlineData(58)]
    public void Another_label_where_the_outline_puts_the_target_has_too_few_supporting_features(int seed)
    {
        var graded = grader.Assess(TestImages.Label(seed));
        var target = graded.ToIndexed(Guid.NewGuid(), Guid.NewGuid());
        // The same seed puts both labels at the same corners of the scan.
        var ownScan = TestImages.CameraScan(TestImages.Label(seed), seed, share: 0.15, sceneShapes: 8);
        var otherScan = TestImages.CameraScan(TestImages.Label(seed + 100), seed, share: 0.15, sceneShapes: 8);

        using var own = extractor.ExtractQuery(ownScan.Jpeg);
        using var other = extractor.ExtractQuery(otherScan.Jpeg);
        Assert.InRange(TargetIndex.Supporting(own, target, ownScan.Corners), 5 * Outlines.MinSupport, int.MaxValue);
        Assert.InRange(TargetIndex.Supporting(other, target, otherScan.Corners), 0, Outlines.MinSupport - 1);
    }

    [Theory]
    [InlineData(55)]
    [InlineData(58)]
    public void Colour_variants_left_off_the_shortlist_are_named_by_their_outline(int seed)
    {
        // Four targets that are one image in grey, and one candidate verified (two when its colours disagree): the
        // variant in a scan is often not among them, and then only its outline names it.
        using var index = new TargetIndex(Microsoft.Extensions.Options.Options.Create(new RecognitionOptions { Candidates = 1 }));
        var variants = TestImages.ColourVariants(TestImages.Label(seed));
        var targets = variants.Select(v => Register(index, v)).ToList();
        var kinds = new List<MatchKind>();
        for (var variant = 0; variant < variants.Length; variant++)
            foreach (var scanSeed in new[] { seed, seed + 100, seed + 200 })
            {
                using var query = extractor.ExtractQuery(TestImages.CameraScan(variants[variant], scanSeed, sceneShapes: 8).Jpeg);
                var match = index.Match(query);
                Assert.Equal(targets[variant].TargetId, match?.TargetId);
                kinds.Add(match!.Kind);
            }
        Assert.Contains(MatchKind.Outline, kinds);
    }

    [Fact]
    public void Quadrilaterals_are_found_inside_the_frame_and_where_the_frame_cuts_a_corner_off()
    {
        using var frame = new Mat(480, 640, MatType.CV_8UC3, new OpenCvSharp.Scalar(90, 110, 130));
        Point2f[] inside = [new(60, 60), new(250, 80), new(240, 260), new(70, 250)];
        Point2f[] cutOff = [new(420, 200), new(700, 230), new(620, 430), new(400, 410)]; // its top right corner is off the frame
        foreach (var quadrilateral in new[] { inside, cutOff })
            Cv2.FillConvexPoly(frame, quadrilateral.Select(p => new Point(p.X, p.Y)), new OpenCvSharp.Scalar(230, 240, 245), LineTypes.AntiAlias);
        Cv2.GaussianBlur(frame, frame, new Size(0, 0), 1.0);

        var found = Outlines.Quadrilaterals(frame);
        foreach (var expected in new[] { inside, cutOff })
        {
            // Some turn of a found quadrilateral puts each corner within a few pixels of the drawn one.
            Assert.Contains(found, q => Enumerable.Range(0, 4).Any(turn =>
                Outlines.Turned(q, turn).Zip(expected).All(c => Point2f.Distance(c.First, c.Second) < 10)));
        }
    }
}
