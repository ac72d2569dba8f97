using ArFleet.Recognition.Engine;
using ArFleet.Testing;
using OpenCvSharp;

namespace ArFleet.Recognition.Tests;

/// <summary>The image-reuse thresholds: one photo re-encoded or resized stays near; two photos of one target do not.</summary>
public sealed class ImageFingerprintTests
{
    [Fact]
    public void A_re_encoded_or_resized_copy_is_near_and_other_photos_of_the_target_are_not()
    {
        var target = TestImages.Target(41);
        var scan = TestImages.CameraScan(target, 400);
        var corners = scan.Corners.Select(c => new double[] { c.X, c.Y }).ToArray();
        using var original = Cv2.ImDecode(scan.Jpeg, ImreadModes.Color);
        var (region, frame) = ImageFingerprint.Of(original, corners);

        using var reencoded = Cv2.ImDecode(original.ImEncode(".jpg", new ImageEncodingParam(ImwriteFlags.JpegQuality, 60)), ImreadModes.Color);
        using var resized = new Mat();
        Cv2.Resize(original, resized, new Size(), 0.75, 0.75, InterpolationFlags.Area);
        foreach (var (copy, scale) in new[] { (reencoded, 1.0), (resized, 0.75) })
        {
            var (copyRegion, copyFrame) = ImageFingerprint.Of(copy, corners.Select(c => new[] { c[0] * scale, c[1] * scale }).ToArray());
            Assert.InRange(ImageFingerprint.Distance(frame, copyFrame), 0, RecognitionThresholds.ImageReuse.MaxFrameBits);
            Assert.InRange(ImageFingerprint.Distance(region, copyRegion), 0, RecognitionThresholds.ImageReuse.MaxRegionBits);
        }

        var others = Enumerable.Range(501, 8).Select(seed =>
        {
            var other = TestImages.CameraScan(target, seed);
            using var image = Cv2.ImDecode(other.Jpeg, ImreadModes.Color);
            return ImageFingerprint.Of(image, other.Corners.Select(c => new double[] { c.X, c.Y }).ToArray()).Frame;
        }).Append(frame).ToArray();
        for (var i = 0; i < others.Length; i++)
            for (var j = i + 1; j < others.Length; j++)
                Assert.True(ImageFingerprint.Distance(others[i], others[j]) > RecognitionThresholds.ImageReuse.MaxFrameBits, $"scans {i} and {j}");
    }
}
