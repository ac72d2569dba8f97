using ArFleet.Recognition.Engine;
using ArFleet.Testing;
using Microsoft.Extensions.Options;
using OpenCvSharp;

namespace ArFleet.Recognition.Tests;

public class TargetGraderTests
{
    private readonly TargetGrader grader = new(new FeatureExtractor(Options.Create(new RecognitionOptions())), Options.Create(new RecognitionOptions()));

    private TargetGrader.Grade Grade(byte[] image)
    {
        var graded = grader.Assess(image);
        graded.Features.Dispose();
        return graded.Grade;
    }

    [Fact]
    public void A_textured_poster_is_accepted_with_a_good_grade()
    {
        var grade = Grade(TestImages.Target(11));
        Assert.Null(grade.RejectionReason);
        Assert.InRange(grade.Value, 3, 5);
    }

    [Fact]
    public void A_logo_recognised_by_its_outline_and_shape_alone_is_rejected_for_too_little_detail()
    {
        // A smooth ring on a plate: every simulated scan finds it by its outline or shape, but no feature of it verifies.
        using var logo = new Mat(480, 480, MatType.CV_8UC3, new OpenCvSharp.Scalar(235, 240, 242));
        Cv2.Ellipse(logo, new Point(240, 240), new Size(150, 100), 20, 0, 360, new OpenCvSharp.Scalar(40, 60, 200), 40, LineTypes.AntiAlias);

        var grade = Grade(logo.ImEncode(".png"));

        Assert.All(grade.ViewInliers, inliers => Assert.Equal(0, inliers));
        Assert.All(grade.ViewAppearance, margin => Assert.True(margin >= 0));
        Assert.StartsWith("Too little detail", grade.RejectionReason);
    }

    [Fact]
    public void Rejections_say_why_in_words_a_brand_understands()
    {
        Assert.StartsWith("Too little texture", Grade(TestImages.Plain(400, 300)).RejectionReason);
        Assert.StartsWith("The image is too small", Grade(Resized(TestImages.Target(12), 60, 45)).RejectionReason);
        Assert.StartsWith("Repetitive pattern", Grade(Tiled(TestImages.Target(13, 80, 60), 6)).RejectionReason);
    }

    private static byte[] Resized(byte[] png, int width, int height)
    {
        using var image = Cv2.ImDecode(png, ImreadModes.Color);
        using var small = image.Resize(new Size(width, height), 0, 0, InterpolationFlags.Area);
        return small.ImEncode(".png");
    }

    private static byte[] Tiled(byte[] png, int times)
    {
        using var tile = Cv2.ImDecode(png, ImreadModes.Color);
        using var row = new Mat();
        Cv2.HConcat(Enumerable.Repeat(tile, times).ToArray(), row);
        using var tiled = new Mat();
        Cv2.VConcat(Enumerable.Repeat(row, times).ToArray(), tiled);
        return tiled.ImEncode(".png");
    }
}
