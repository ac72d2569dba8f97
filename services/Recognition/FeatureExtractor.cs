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
    public ImageFeatures ExtractTarget(byte[] image)
    {
        using var gray = Reduced(image, options.TargetMaxSide, out var scale);
        return ExtractTarget(gray, scale);
    }

    public ImageFeatures ExtractTarget(Mat gray, double scale = 1.0) =>
        Extract(gray, scale, options.TargetFeatures, options.TargetPyramidLevels, firstLevel: 0);

    /// <summary>The query's pyramid starts above its own resolution (QueryFirstLevel upscaled levels): a
    /// target seen small has its details a few pixels apart, and FAST finds them only once they are enlarged.</summary>
    public ImageFeatures ExtractQuery(byte[] image)
    {
        using var gray = Reduced(image, options.QueryMaxSide, out var scale);
        return ExtractQuery(gray, scale);
    }

    public ImageFeatures ExtractQuery(Mat gray, double scale = 1.0) =>
        Extract(gray, scale, options.QueryFeatures, options.QueryPyramidLevels, options.QueryFirstLevel);

    /// <summary>Decodes within the image limits (dimensions checked from the header first, so a decompression
    /// bomb is never decoded) to grey at most <paramref name="maxSide"/> px a side; scale maps back to the original.</summary>
    public Mat Reduced(byte[] image, int maxSide, out double scale)
    {
        if (ImageInspector.Check(image, options.ImageLimits, out _) is { } problem) throw new ImageRejectedException(problem);
        using var decoded = Decode(image);
        scale = Math.Min(1.0, (double)maxSide / Math.Max(decoded.Width, decoded.Height));
        var gray = new Mat();
        if (scale < 1.0) Cv2.Resize(decoded, gray, new Size(), scale, scale, InterpolationFlags.Area);
        else decoded.CopyTo(gray);
        return gray;
    }

    /// <summary>ORB with a low FAST threshold and a small patch: printed logos are flat shapes whose few corners
    /// are often low-contrast after a camera's blur, and a small patch keeps details near a small target's edge.</summary>
    private ImageFeatures Extract(Mat gray, double scale, int features, int pyramidLevels, int firstLevel)
    {
        using var orb = ORB.Create(features, scaleFactor: 1.2f, nLevels: pyramidLevels, edgeThreshold: options.PatchSize,
            firstLevel: firstLevel, patchSize: options.PatchSize, fastThreshold: options.FastThreshold);
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
