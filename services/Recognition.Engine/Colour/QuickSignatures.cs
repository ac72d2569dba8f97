using System.Runtime.InteropServices;
using OpenCvSharp;

namespace ArFleet.Recognition.Engine;

/// <summary>ColourSignature.Of for many quadrilaterals of one scan, about ten times faster and nearly alike: each cell is
/// the mean of 2 × 2 bilinear samples taken from the level of a Gaussian pyramid at which the cell spans a few pixels,
/// instead of a warp at four times the resolution averaged down. For screening and refining placements; decisions use Of.</summary>
public sealed class QuickSignatures : IDisposable
{
    private const int Levels = 4;
    private readonly Mat[] owned;
    private readonly byte[][] pixels = new byte[Levels][];
    private readonly int[] widths = new int[Levels], heights = new int[Levels];

    public QuickSignatures(Mat colour)
    {
        owned = new Mat[Levels];
        owned[0] = colour.Clone(); // continuous, unlike a view into a larger image
        for (var level = 1; level < Levels; level++)
        {
            owned[level] = new Mat();
            Cv2.PyrDown(owned[level - 1], owned[level]);
        }
        for (var level = 0; level < Levels; level++)
        {
            (widths[level], heights[level]) = (owned[level].Width, owned[level].Height);
            pixels[level] = new byte[widths[level] * heights[level] * 3];
            Marshal.Copy(owned[level].Data, pixels[level], 0, pixels[level].Length);
        }
    }

    /// <summary>The Centred signature of the region inside the corners (clockwise from the target's top left).</summary>
    public float[] Centred(Point2f[] corners)
    {
        var (a, b, c, d, e, f, g, h) = SquareToQuadrilateral(corners);
        var side = Math.Sqrt(Math.Abs(Cv2.ContourArea(corners)));
        var level = Math.Clamp((int)Math.Floor(Math.Log2(Math.Max(1, side / ColourSignature.Side / 1.5))), 0, Levels - 1);
        var scale = 1.0 / (1 << level);
        var signature = new byte[ColourSignature.Side * ColourSignature.Side * 3];
        Span<double> sum = stackalloc double[3];
        for (var row = 0; row < ColourSignature.Side; row++)
            for (var column = 0; column < ColourSignature.Side; column++)
            {
                sum.Clear();
                double u = (column + 0.5) / ColourSignature.Side, v = (row + 0.5) / ColourSignature.Side;
                var w = g * u + h * v + 1;
                // Pyramid level k's pixel centres sit at 2^k (x + 0.5) − 0.5 in full-size pixels.
                Sample(level, ((a * u + b * v + c) / w + 0.5) * scale - 0.5, ((d * u + e * v + f) / w + 0.5) * scale - 0.5, sum);
                for (var channel = 0; channel < 3; channel++) signature[(row * ColourSignature.Side + column) * 3 + channel] = (byte)(sum[channel] + 0.5);
            }
        return ColourSignature.Centred(signature);
    }

    /// <summary>Adds the bilinear sample at (x, y) of the level, edges replicated, to the sum of each channel.</summary>
    private void Sample(int level, double x, double y, Span<double> sum)
    {
        int width = widths[level], height = heights[level];
        x = Math.Clamp(x, 0, width - 1);
        y = Math.Clamp(y, 0, height - 1);
        int x0 = (int)x, y0 = (int)y;
        int right = x0 + 1 < width ? 3 : 0, down = y0 + 1 < height ? width * 3 : 0;
        double fx = x - x0, fy = y - y0;
        double w00 = (1 - fx) * (1 - fy), w01 = fx * (1 - fy), w10 = (1 - fx) * fy, w11 = fx * fy;
        var image = pixels[level].AsSpan((y0 * width + x0) * 3);
        sum[0] += image[0] * w00 + image[right] * w01 + image[down] * w10 + image[down + right] * w11;
        sum[1] += image[1] * w00 + image[right + 1] * w01 + image[down + 1] * w10 + image[down + right + 1] * w11;
        sum[2] += image[2] * w00 + image[right + 2] * w01 + image[down + 2] * w10 + image[down + right + 2] * w11;
    }

    /// <summary>The projective map of the unit square onto the quadrilateral (Heckbert's closed form):
    /// x = (a u + b v + c) / (g u + h v + 1), y = (d u + e v + f) / (g u + h v + 1).</summary>
    internal static (double A, double B, double C, double D, double E, double F, double G, double H) SquareToQuadrilateral(Point2f[] q)
    {
        double sx = q[0].X - q[1].X + q[2].X - q[3].X, sy = q[0].Y - q[1].Y + q[2].Y - q[3].Y;
        double dx1 = q[1].X - q[2].X, dx2 = q[3].X - q[2].X, dy1 = q[1].Y - q[2].Y, dy2 = q[3].Y - q[2].Y;
        var denominator = dx1 * dy2 - dx2 * dy1;
        double g = 0, h = 0;
        if (Math.Abs(denominator) > 1e-9)
        {
            g = (sx * dy2 - dx2 * sy) / denominator;
            h = (dx1 * sy - sx * dy1) / denominator;
        }
        return (q[1].X - q[0].X + g * q[1].X, q[3].X - q[0].X + h * q[3].X, q[0].X,
            q[1].Y - q[0].Y + g * q[1].Y, q[3].Y - q[0].Y + h * q[3].Y, q[0].Y, g, h);
    }

    public void Dispose()
    {
        foreach (var level in owned) level.Dispose();
    }
}
