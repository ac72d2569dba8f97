using System.Numerics;
using System.Runtime.InteropServices;
using OpenCvSharp;

namespace ArFleet.Recognition.Engine;

/// <summary>A target's colours at 16 × 16 px. Features are computed in grey, where a 福 printed black on red and
/// the same 福 printed black on cream are one image; their colours tell them apart.</summary>
public static class ColourSignature
{
    public const int Side = 16;

    /// <summary>The colour image reduced to Side × Side BGR bytes.</summary>
    public static byte[] Of(Mat colour)
    {
        using var small = new Mat();
        Cv2.Resize(colour, small, new Size(Side, Side), 0, 0, InterpolationFlags.Area);
        var signature = new byte[Side * Side * 3];
        Marshal.Copy(small.Data, signature, 0, signature.Length); // a new Mat is continuous
        return signature;
    }

    /// <summary>The signature of the region inside <paramref name="corners"/> (clockwise from the target's top left),
    /// rectified: what a target whose corners are there would have.</summary>
    public static byte[] Of(Mat colour, Point2f[] corners)
    {
        const int warpedSide = 4 * Side; // warp larger, then average down, so the thumbnail does not alias
        Point2f[] square = [new(0, 0), new(warpedSide, 0), new(warpedSide, warpedSide), new(0, warpedSide)];
        using var toSquare = Cv2.GetPerspectiveTransform(corners, square);
        using var warped = new Mat();
        Cv2.WarpPerspective(colour, warped, toSquare, new Size(warpedSide, warpedSide), InterpolationFlags.Linear, BorderTypes.Replicate);
        return Of(warped);
    }

    /// <summary>How well the query's colours inside the target's corners (query pixels) agree with the signature: R² of
    /// one gain for all channels plus a bias per channel, which is the squared correlation of the two signatures with
    /// each channel's mean removed (0 when the gain would be negative). A lighting change or a white-balance offset keeps
    /// it near 1; a plate or print of another hue does not, since no single gain fits its channels' contrasts.</summary>
    public static double Agreement(byte[] signature, Mat queryColour, Point2f[] corners)
    {
        var correlation = Correlation(Centred(signature), Centred(Of(queryColour, corners)));
        return correlation <= 0 ? 0 : correlation * correlation;
    }

    /// <summary>BGR values with each channel's mean removed, scaled to unit length, so that the dot product of two is
    /// their correlation; all zero for a flat image, which correlates with nothing.</summary>
    public static float[] Centred(ReadOnlySpan<byte> bgr)
    {
        var mean = new double[3];
        for (var i = 0; i < bgr.Length; i++) mean[i % 3] += bgr[i];
        for (var c = 0; c < 3; c++) mean[c] /= bgr.Length / 3;
        var centred = new float[bgr.Length];
        double variance = 0;
        for (var i = 0; i < bgr.Length; i++)
        {
            centred[i] = (float)(bgr[i] - mean[i % 3]);
            variance += centred[i] * centred[i];
        }
        if (variance < 1) return new float[bgr.Length];
        var scale = (float)(1 / Math.Sqrt(variance));
        for (var i = 0; i < centred.Length; i++) centred[i] *= scale;
        return centred;
    }

    /// <summary>The dot product of two Centred vectors of one length.</summary>
    public static float Correlation(ReadOnlySpan<float> a, ReadOnlySpan<float> b)
    {
        var sum = Vector<float>.Zero;
        var i = 0;
        for (; i + Vector<float>.Count <= a.Length; i += Vector<float>.Count)
            sum += new Vector<float>(a[i..]) * new Vector<float>(b[i..]);
        var dot = Vector.Sum(sum);
        for (; i < a.Length; i++) dot += a[i] * b[i];
        return dot;
    }
}
