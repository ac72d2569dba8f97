using OpenCvSharp;

namespace ArFleet.Recognition.Engine;

/// <summary>A region of one colour (a logo's fill, a letter, a dot) described independently of the view: its centre, the
/// frame that whitens it (maps a shape with the identity as covariance onto it) and its occupancy sampled on a polar grid
/// in that frame. Any affine view of the region whitens to the same shape turned by some angle, so two views of it have
/// polar grids that differ by a shift along the angles, and their ring spectra (Shapes.Descriptor) are equal. A camera's
/// view of a flat target is nearly affine over a part of it. Coordinates are the target's, normalised to 0–1 (a target's
/// shapes) or the query's reduced pixels.</summary>
public sealed record Shape(Point2f Centre, float[] Frame, byte[] Polar, Vec3b Colour)
{
    /// <summary>The colour's share of each channel (a lighting gain leaves it), with a small offset so that near-black is
    /// grey rather than noise.</summary>
    public (double B, double G, double R) Chroma
    {
        get
        {
            double b = Colour.Item0 + 16.0, g = Colour.Item1 + 16.0, r = Colour.Item2 + 16.0, sum = b + g + r;
            return (b / sum, g / sum, r / sum);
        }
    }

    /// <summary>How far apart two shapes' colours are in Chroma (0 alike; a saturated hue against grey is about 0.3).</summary>
    public double ChromaDistance(Shape other)
    {
        var (a, b) = (Chroma, other.Chroma);
        return Math.Sqrt((a.B - b.B) * (a.B - b.B) + (a.G - b.G) * (a.G - b.G) + (a.R - b.R) * (a.R - b.R));
    }
}
