using ArFleet.Recognition.Engine;
using ArFleet.Testing;
using OpenCvSharp;
using static ArFleet.RecognitionEval.RecaptureSetMaker;

namespace ArFleet.Recognition.Tests;

/// <summary>The recapture stage: scans it cannot judge say so rather than being suspected, and a screen's and a print's
/// recaptures, rendered by make-dataset --recaptures's camera stage, score above the genuine object under the same camera.</summary>
public sealed class RecaptureDetectorTests
{
    private readonly RecaptureDetector detector = new();

    [Fact]
    public void A_target_region_too_small_to_judge_says_so_and_is_not_suspected()
    {
        using var frame = Frame(TestImages.Target(1), new Rect(300, 200, 70, 52));

        var assessment = detector.Assess(frame, Corners(new Rect(300, 200, 70, 52)), null);

        Assert.Null(assessment.Score);
        Assert.False(assessment.Suspected);
        Assert.Equal(["tooSmallToJudge"], assessment.Reasons);
    }

    [Fact]
    public void A_close_up_whose_target_runs_far_out_of_the_frame_cannot_be_judged()
    {
        var beyond = new Rect(-200, -150, 1040, 780);
        using var frame = Frame(TestImages.Target(2), beyond);

        var assessment = detector.Assess(frame, Corners(beyond), null);

        Assert.Equal(["closeUp"], assessment.Reasons);
        Assert.False(assessment.Suspected);
    }

    [Theory]
    [InlineData(0.08, "tooDark")]
    [InlineData(4.0, "overexposed")]
    public void A_very_dark_or_overexposed_region_cannot_be_judged(double gain, string reason)
    {
        var place = new Rect(160, 120, 320, 240);
        using var frame = Frame(TestImages.Target(3), place);
        frame.ConvertTo(frame, MatType.CV_8UC3, gain);

        var assessment = detector.Assess(frame, Corners(place), null);

        Assert.Equal([reason], assessment.Reasons);
        Assert.Null(assessment.Score);
    }

    [Fact]
    public void A_periodic_pattern_has_a_spectral_peak_that_printed_content_lacks()
    {
        using var content = Cv2.ImDecode(TestImages.Target(4), ImreadModes.Grayscale);
        using var poster = new Mat();
        Cv2.Resize(content, poster, new Size(128, 128), 0, 0, InterpolationFlags.Area);
        using var grid = poster.Clone();
        // A screen's pixel grid beating with the sensor: a faint stripe every 5.3 px over the same content.
        for (var y = 0; y < 128; y++)
            for (var x = 0; x < 128; x++)
                grid.Set(y, x, (byte)Math.Clamp(poster.At<byte>(y, x) + 12 * Math.Cos(2 * Math.PI * x / 5.3), 0, 255));

        Assert.True(RecaptureCues.PeakProminence(grid) > RecaptureCues.PeakProminence(poster) + 1,
            $"grid {RecaptureCues.PeakProminence(grid):F2}, poster {RecaptureCues.PeakProminence(poster):F2}");
    }

    [Theory]
    [InlineData(22)]
    [InlineData(25)]
    public void Screen_and_print_recaptures_score_above_the_genuine_object_under_the_same_camera(int seed)
    {
        using var target = Cv2.ImDecode(TestImages.Target(5), ImreadModes.Color);
        using var photo = Cv2.ImDecode(TestImages.UnrelatedPhoto(6, 1280, 960), ImreadModes.Color);
        double[] grey = [0.95, 0.95, 0.95];
        var genuine = new Scene(Capture.Genuine, false, 0.05, grey, 0);
        var screen = new Scene(Capture.Screen, false, 0.05, [0.05, 0.05, 0.05], 0, ScreenPixels: 300, Emission: 1.0, Bezel: 0.06,
            BezelColour: [0.03, 0.03, 0.03]);
        var print = new Scene(Capture.Print, false, 0.05, grey, 0, Ruling: 100, Inches: 3, Angles: [15, 75, 0, 45], DotGain: 0.15);

        // One seed: the same camera, placement and background for every scene.
        double Score(Scene scene)
        {
            using var frame = Render(target, photo, scene, new Random(seed), out var camera, out var corners);
            var assessment = detector.Assess(frame, corners, ColourSignature.Of(target));
            Assert.True(assessment.Score is not null, $"{scene.Capture} with {camera}: {string.Join(", ", assessment.Reasons)}");
            return assessment.Score!.Value;
        }

        var (g, s, p) = (Score(genuine), Score(screen), Score(print));
        Assert.True(s > g && p > g, $"genuine {g}, screen {s}, print {p}");
    }

    [Fact]
    public void The_development_sets_frames_are_reproducible_from_the_seed()
    {
        using var target = Cv2.ImDecode(TestImages.Target(7), ImreadModes.Color);
        using var photo = Cv2.ImDecode(TestImages.UnrelatedPhoto(8, 1280, 960), ImreadModes.Color);
        byte[] Frame(int seed)
        {
            var random = new Random(seed);
            using var frame = Render(target, photo, Scene.Draw(Capture.Print, random), random, out _, out _);
            return frame.ImEncode(".png");
        }

        Assert.Equal(Frame(3), Frame(3));
        Assert.NotEqual(Frame(3), Frame(4));
    }

    [Fact]
    public void The_test_suites_camera_scans_of_genuine_targets_are_not_suspected()
    {
        // The end-to-end tests reward such scans: a recapture refusal there would be a genuine user refused.
        foreach (var seed in Enumerable.Range(100, 12))
        {
            var scan = TestImages.CameraScan(TestImages.Target(seed % 7 + 1), seed);
            var assessment = detector.Assess(scan.Jpeg, scan.Corners.Select(c => new double[] { c.X, c.Y }).ToArray(), null);
            Assert.False(assessment.Suspected, $"seed {seed}: {assessment}");
        }
    }

    private static Mat Frame(byte[] target, Rect place)
    {
        var frame = Cv2.ImDecode(TestImages.UnrelatedPhoto(9), ImreadModes.Color);
        using var image = Cv2.ImDecode(target, ImreadModes.Color);
        Point2f[] from = [new(0, 0), new(image.Width, 0), new(image.Width, image.Height), new(0, image.Height)];
        using var homography = Cv2.GetPerspectiveTransform(from, Corners(place).Select(c => new Point2f((float)c[0], (float)c[1])).ToArray());
        Cv2.WarpPerspective(image, frame, homography, frame.Size(), InterpolationFlags.Linear, BorderTypes.Transparent);
        return frame;
    }

    private static double[][] Corners(Rect r) => [[r.X, r.Y], [r.X + r.Width, r.Y], [r.X + r.Width, r.Y + r.Height], [r.X, r.Y + r.Height]];
}
