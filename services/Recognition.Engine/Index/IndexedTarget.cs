using OpenCvSharp;

namespace ArFleet.Recognition.Engine;

/// <summary>A target as the index holds it; Colour is its ColourSignature (null for a target stored before colours were) and
/// Shapes its ink regions (see Shapes; null for a target stored before shapes were).</summary>
public sealed record IndexedTarget(Guid TargetId, Guid TenantId, int Width, int Height, Point2f[] Points, Mat Descriptors, byte[]? Colour = null,
    Shape[]? Shapes = null)
{
    /// <summary>The target's corners in its own (reduced) pixels, clockwise from the top left.</summary>
    public Point2f[] Corners => [new(0, 0), new(Width, 0), new(Width, Height), new(0, Height)];
}
