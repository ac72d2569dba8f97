using ArFleet.Images;
using Microsoft.Extensions.Options;
using OpenCvSharp;

namespace ArFleet.Recognition.Engine;

/// <summary>ORB features of target and query images, decoded within the image limits; the sizes and counts are
/// RecognitionOptions.</summary>
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
        Extract(gray, scale, options.TargetFeatures, options.TargetPyramidLevels, firstLevel: 0, options.FastThreshold);

    /// <summary>The query's pyramid starts above its own resolution (QueryFirstLevel upscaled levels): a
    /// target seen small has its details a few pixels apart, and FAST finds them only once they are enlarged.
    /// The frame is decoded once, in colour (the features keep it as Frame, for recapture cues and fingerprints), and
    /// its grey and its reduced colours are derived from that decode.</summary>
    public ImageFeatures ExtractQuery(byte[] image)
    {
        var frame = DecodeColour(image);
        try
        {
            var scale = Math.Min(1.0, (double)options.QueryMaxSide / Math.Max(frame.Width, frame.Height));
            using var gray = new Mat();
            Cv2.CvtColor(frame, gray, ColorConversionCodes.BGR2GRAY);
            if (scale < 1.0) Cv2.Resize(gray, gray, new Size(), scale, scale, InterpolationFlags.Area);
            var size = gray.Size();
            return ExtractQuery(gray, scale, scale < 1.0 ? () => Resized(frame, size) : null, frame);
        }
        catch
        {
            frame.Dispose();
            throw;
        }
    }

    /// <summary>The colour signature (see ColourSignature) and the ink shapes (see Shapes) of a target image.</summary>
    public (byte[] Colour, Shape[] Shapes) TargetAppearance(byte[] image)
    {
        using var colour = ReducedColour(image, null);
        return TargetAppearance(colour);
    }

    public static (byte[] Colour, Shape[] Shapes) TargetAppearance(Mat colour) => (ColourSignature.Of(colour), Shapes.OfTarget(colour));

    /// <summary>Features of a query already in grey.</summary>
    /// <param name="gray">The query in grey, reduced to at most QueryMaxSide.</param>
    /// <param name="scale">Reduced size over original size.</param>
    /// <param name="decodeColour">Makes the query's colours at the reduced size, when a match asks for them.</param>
    /// <param name="frame">The decoded image in colour at its original size, which the features then own.</param>
    public ImageFeatures ExtractQuery(Mat gray, double scale = 1.0, Func<Mat>? decodeColour = null, Mat? frame = null) =>
        Extract(gray, scale, options.QueryFeatures, options.QueryPyramidLevels, options.QueryFirstLevel, QueryFastThreshold(gray), decodeColour, frame);

    /// <summary>A dim or blurred frame has few corners at the usual FAST threshold, and a target in it fewer still: a
    /// frame with fewer corners than a tenth of the query's features is extracted at DimQueryFastThreshold instead.</summary>
    private int QueryFastThreshold(Mat gray)
    {
        using var fast = FastFeatureDetector.Create(options.FastThreshold);
        return fast.Detect(gray).Length < options.QueryFeatures / 10 ? options.DimQueryFastThreshold : options.FastThreshold;
    }

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

    /// <summary>Decodes in colour, resized to <paramref name="size"/> when given; only for images that Reduced accepted.</summary>
    public static Mat ReducedColour(byte[] image, Size? size)
    {
        var decoded = Cv2.ImDecode(image, ImreadModes.Color);
        if (size is not { } wanted || decoded.Size() == wanted) return decoded;
        using (decoded) return Resized(decoded, wanted);
    }

    private static Mat Resized(Mat image, Size size)
    {
        var resized = new Mat();
        Cv2.Resize(image, resized, size, 0, 0, InterpolationFlags.Area);
        return resized;
    }

    /// <summary>ORB with a low FAST threshold and a small patch: printed logos are flat shapes whose few corners
    /// are often low-contrast after a camera's blur, and a small patch keeps details near a small target's edge.</summary>
    private ImageFeatures Extract(Mat gray, double scale, int features, int pyramidLevels, int firstLevel, int fastThreshold,
        Func<Mat>? decodeColour = null, Mat? frame = null)
    {
        using var orb = ORB.Create(features, scaleFactor: 1.2f, nLevels: pyramidLevels, edgeThreshold: options.PatchSize,
            firstLevel: firstLevel, patchSize: options.PatchSize, fastThreshold: fastThreshold);
        var descriptors = new Mat();
        orb.DetectAndCompute(gray, null, out var keypoints, descriptors);
        return new ImageFeatures(keypoints.Select(k => k.Pt).ToArray(), descriptors, gray.Width, gray.Height, scale, decodeColour, frame);
    }

    private static Mat Decode(byte[] image) => Decoded(image, ImreadModes.Grayscale);

    /// <summary>Decodes in colour within the image limits (dimensions checked from the header first).</summary>
    private Mat DecodeColour(byte[] image)
    {
        if (ImageInspector.Check(image, options.ImageLimits, out _) is { } problem) throw new ImageRejectedException(problem);
        return Decoded(image, ImreadModes.Color);
    }

    private static Mat Decoded(byte[] image, ImreadModes mode)
    {
        Mat decoded;
        try
        {
            decoded = Cv2.ImDecode(image, mode);
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
