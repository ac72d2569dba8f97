using System.Buffers.Binary;
using System.Numerics;
using OpenCvSharp;
using OpenCvSharp.ImgHash;

namespace ArFleet.Recognition.Engine;

/// <summary>Perceptual hashes (OpenCV img_hash's 64-bit DCT pHash) of a recognised scan: of its target region, rectified by
/// the match's corners, and of the whole frame. A re-encoded, resized or lightly edited copy of one photo keeps both within
/// a few bits; two photos of one target taken apart keep the region's near (it is the target) but not the frame's.</summary>
public static class ImageFingerprint
{
    public static (ulong Region, ulong Frame) Of(Mat colour, double[][] corners)
    {
        const int side = 64;
        Point2f[] square = [new(0, 0), new(side, 0), new(side, side), new(0, side)];
        using var toSquare = Cv2.GetPerspectiveTransform(corners.Select(c => new Point2f((float)c[0], (float)c[1])).ToArray(), square);
        using var region = new Mat();
        Cv2.WarpPerspective(colour, region, toSquare, new Size(side, side), InterpolationFlags.Area, BorderTypes.Replicate);
        return (Hash(region), Hash(colour));
    }

    public static int Distance(ulong a, ulong b) => BitOperations.PopCount(a ^ b);

    private static ulong Hash(Mat image)
    {
        using var phash = PHash.Create();
        using var hash = new Mat();
        phash.Compute(image, hash);
        hash.GetArray(out byte[] bytes);
        return BinaryPrimitives.ReadUInt64BigEndian(bytes);
    }
}
