using ArFleet.ServiceDefaults;
using Microsoft.Extensions.Options;
using OpenCvSharp;

namespace ArFleet.Recognition;

/// <summary>ORB keypoints and descriptors of an image reduced to a bounded size. Scale maps reduced
/// coordinates back to the original image (original = reduced / Scale).</summary>
public sealed class ImageFeatures(Point2f[] points, Mat descriptors, int width, int height, double scale) : IDisposable
{
    public Point2f[] Points { get; } = points;
    public Mat Descriptors { get; } = descriptors;
    public int Width { get; } = width;
    public int Height { get; } = height;
    public double Scale { get; } = scale;
    public int Count => Points.Length;
    public int OriginalWidth => (int)Math.Round(Width / Scale);
    public int OriginalHeight => (int)Math.Round(Height / Scale);
    public void Dispose() => Descriptors.Dispose();
}

public class ImageRejectedException(string reason) : Exception(reason);

public sealed class FeatureExtractor(IOptions<RecognitionOptions> options)
{
    private readonly RecognitionOptions options = options.Value;

    /// <summary>Targets get a deeper pyramid than queries: a target seen at 15 % of a frame is several
    /// octaves smaller than its reference image, and only the target's pyramid can reach down that far.</summary>
    public ImageFeatures ExtractTarget(byte[] image) =>
        Extract(image, options.TargetMaxSide, options.TargetFeatures, options.TargetPyramidLevels);

    public ImageFeatures ExtractQuery(byte[] image) =>
        Extract(image, options.QueryMaxSide, options.QueryFeatures, options.QueryPyramidLevels);

    /// <summary>Decodes within the image limits (dimensions checked from the header first, so a
    /// decompression bomb is never decoded) and extracts features at most <paramref name="maxSide"/> px a side.</summary>
    public ImageFeatures Extract(byte[] image, int maxSide, int features, int pyramidLevels)
    {
        if (ImageInspector.Check(image, options.ImageLimits, out _) is { } problem) throw new ImageRejectedException(problem);
        using var decoded = Decode(image);
        var scale = Math.Min(1.0, (double)maxSide / Math.Max(decoded.Width, decoded.Height));
        using var gray = new Mat();
        if (scale < 1.0) Cv2.Resize(decoded, gray, new Size(), scale, scale, InterpolationFlags.Area);
        else decoded.CopyTo(gray);

        using var orb = ORB.Create(features, nLevels: pyramidLevels);
        var descriptors = new Mat();
        orb.DetectAndCompute(gray, null, out var keypoints, descriptors);
        return new ImageFeatures(keypoints.Select(k => k.Pt).ToArray(), descriptors, gray.Width, gray.Height, scale);
    }

    private static Mat Decode(byte[] image)
    {
        Mat decoded;
        try
        {
            decoded = Cv2.ImDecode(image, ImreadModes.Grayscale);
        }
        catch (OpenCVException e)
        {
            throw new ImageRejectedException($"The image could not be decoded: {e.Message}");
        }
        if (decoded.Empty())
        {
            decoded.Dispose();
            throw new ImageRejectedException("The image could not be decoded (corrupt or truncated).");
        }
        return decoded;
    }
}
