using OpenCvSharp;

namespace ArFleet.Recognition.Engine;

/// <summary>ORB keypoints and descriptors of an image reduced to a bounded size. Scale maps reduced
/// coordinates back to the original image (original = reduced / Scale). A query's colours, at the same reduced
/// size, are made only when a match asks for them.</summary>
public sealed class ImageFeatures(
    Point2f[] points, Mat descriptors, int width, int height, double scale, Func<Mat>? decodeColour = null, Mat? frame = null) : IDisposable
{
    private Mat? colour;
    public Point2f[] Points { get; } = points;
    public Mat Descriptors { get; } = descriptors;
    public int Width { get; } = width;
    public int Height { get; } = height;
    public double Scale { get; } = scale;
    public int Count => Points.Length;
    public int OriginalWidth => (int)Math.Round(Width / Scale);
    public int OriginalHeight => (int)Math.Round(Height / Scale);
    /// <summary>The image in colour (BGR) at Width × Height, or null when the features were extracted from grey.</summary>
    public Mat? Colour => colour ??= decodeColour?.Invoke() ?? (Scale == 1.0 ? frame : null);
    /// <summary>A query's decoded image in colour (BGR) at its original size; null for features of a grey image.</summary>
    public Mat? Frame => frame;

    public void Dispose()
    {
        Descriptors.Dispose();
        if (!ReferenceEquals(colour, frame)) colour?.Dispose();
        frame?.Dispose();
    }
}
