using ArFleet.Recognition.Engine;
using ArFleet.Testing;
using OpenCvSharp;

namespace ArFleet.Recognition.Tests;

public class ColourSignatureTests
{
    [Theory]
    [InlineData(31)]
    [InlineData(32)]
    [InlineData(33)]
    public void A_scan_agrees_with_its_own_targets_colours_and_not_with_its_colour_twins(int seed)
    {
        var (original, twin) = TestImages.ColourTwins(seed);
        var scan = TestImages.CameraScan(original, seed); // lighting changed, blurred, noisy, JPEG
        using var scanImage = Cv2.ImDecode(scan.Jpeg, ImreadModes.Color);

        Assert.InRange(Agreement(original, scanImage, scan.Corners), 0.9, 1.0);
        Assert.InRange(Agreement(twin, scanImage, scan.Corners), 0, RecognitionThresholds.ColourMatching.MinAgreement - 0.1);
    }

    [Fact]
    public void A_white_balance_offset_and_darker_light_keep_the_agreement()
    {
        using var target = Cv2.ImDecode(TestImages.Target(34), ImreadModes.Color);
        using var dimmed = new Mat();
        target.ConvertTo(dimmed, MatType.CV_8UC3, 0.6);
        using var warmer = new Mat();
        Cv2.Add(dimmed, new OpenCvSharp.Scalar(0, 10, 30), warmer); // BGR: a warmer light
        Point2f[] corners = [new(0, 0), new(target.Width, 0), new(target.Width, target.Height), new(0, target.Height)];
        Assert.InRange(ColourSignature.Agreement(ColourSignature.Of(target), warmer, corners), 0.95, 1.0);
    }

    [Fact]
    public void A_flat_view_has_no_agreement()
    {
        using var target = Cv2.ImDecode(TestImages.Target(35), ImreadModes.Color);
        using var flat = new Mat(target.Size(), MatType.CV_8UC3, OpenCvSharp.Scalar.All(128));
        Point2f[] corners = [new(0, 0), new(target.Width, 0), new(target.Width, target.Height), new(0, target.Height)];
        Assert.Equal(0, ColourSignature.Agreement(ColourSignature.Of(target), flat, corners));
    }

    private static double Agreement(byte[] target, Mat scan, Point2f[] corners)
    {
        using var image = Cv2.ImDecode(target, ImreadModes.Color);
        return ColourSignature.Agreement(ColourSignature.Of(image), scan, corners);
    }
}
