using OpenCvSharp;

namespace ArFleet.Testing;

/// <summary>Synthetic targets and camera scans, reproducible from a seed. A scan pastes the target into
/// another scene with a random perspective, then blurs, adds noise, changes the lighting and JPEG-compresses it,
/// as a phone camera would; the true corners are kept for scoring.</summary>
public static class TestImages
{
    public record Scan(byte[] Jpeg, Point2f[] Corners);

    /// <summary>A poster-like target: shapes, lines and text in many colours on a plain ground.</summary>
    public static byte[] Target(int seed, int width = 480, int height = 360)
    {
        using var image = Texture(seed, width, height);
        return image.ImEncode(".png");
    }

    /// <summary>A poster-like target printed on a light label with a margin of a twentieth of its width: the label's edge stands
    /// out from a scene whatever the poster's colours.</summary>
    public static byte[] Label(int seed, int width = 480, int height = 360)
    {
        var margin = width / 20;
        using var poster = Texture(seed, width - 2 * margin, height - 2 * margin);
        using var label = new Mat(height, width, MatType.CV_8UC3, new Scalar(235, 240, 242));
        poster.CopyTo(label[new Rect(margin, margin, poster.Width, poster.Height)]);
        return label.ImEncode(".png");
    }

    /// <summary>Two targets that are one image in grey, as a 福 printed black on red is to the same 福 printed black on
    /// cream: a target's grey tinted green and tinted magenta without changing its brightness. The tint follows the grey
    /// (none in black and white, most in mid-grey), so the channels' contrasts differ too.</summary>
    public static (byte[] Green, byte[] Magenta) ColourTwins(int seed)
    {
        var twins = ColourVariants(Target(seed));
        return (twins[0], twins[1]);
    }

    /// <summary>Four targets that are the image in grey (see ColourTwins): tinted green, magenta, orange and blue.</summary>
    public static byte[][] ColourVariants(byte[] image)
    {
        using var colour = Cv2.ImDecode(image, ImreadModes.Color);
        using var gray = colour.CvtColor(ColorConversionCodes.BGR2GRAY);
        gray.GetArray(out byte[] grays);
        // Tints (per unit t, in B, G, R) that keep 0.299 R + 0.587 G + 0.114 B at the grey.
        (double B, double G, double R)[] tints = [(-1, 0.7036, -1), (1, -0.7036, 1), (-1, -0.2, 0.7734), (1, 0.2, -0.7739)];
        return tints.Select(tint =>
        {
            var pixels = new byte[grays.Length * 3];
            for (var i = 0; i < grays.Length; i++)
            {
                var g = grays[i];
                var t = 0.9 * Math.Min(g, 255 - g);
                pixels[3 * i] = (byte)Math.Clamp(Math.Round(g + tint.B * t), 0, 255);
                pixels[3 * i + 1] = (byte)Math.Clamp(Math.Round(g + tint.G * t), 0, 255);
                pixels[3 * i + 2] = (byte)Math.Clamp(Math.Round(g + tint.R * t), 0, 255);
            }
            using var tinted = Mat.FromPixelData(colour.Rows, colour.Cols, MatType.CV_8UC3, pixels);
            return tinted.ImEncode(".png");
        }).ToArray();
    }

    /// <summary>A frame of <paramref name="width"/>×<paramref name="height"/> showing the target under a
    /// random perspective, covering roughly 45–75 % of the frame's width (<paramref name="share"/> when given);
    /// <paramref name="extraBlur"/> blurs it more, as a shaking hand does; the scene has <paramref name="sceneShapes"/> shapes,
    /// or is plain <paramref name="ground"/> when given.</summary>
    public static Scan CameraScan(byte[] target, int seed, int width = 640, int height = 480, double? share = null, double extraBlur = 0,
        int sceneShapes = 25, Scalar? ground = null)
    {
        var random = new Random(seed);
        using var targetImage = Cv2.ImDecode(target, ImreadModes.Color);
        // A plain ground of the plate's own colour hides the plate's edge, as a white label on a white wall.
        using var frame = ground is { } plain ? new Mat(height, width, MatType.CV_8UC3, plain) : Texture(seed + 1_000_003, width, height, shapes: sceneShapes);

        var scale = 0.45 + random.NextDouble() * 0.3;
        if (share is { } wanted) scale = wanted;
        var w = width * scale;
        var h = w * targetImage.Height / targetImage.Width;
        var cx = width / 2.0 + (random.NextDouble() - 0.5) * (width - w) * 0.6;
        var cy = height / 2.0 + (random.NextDouble() - 0.5) * (height - h) * 0.6;
        Point2f Jitter(double x, double y) => new((float)(x + (random.NextDouble() - 0.5) * w * 0.2), (float)(y + (random.NextDouble() - 0.5) * h * 0.2));
        Point2f[] corners =
        [
            Jitter(cx - w / 2, cy - h / 2), Jitter(cx + w / 2, cy - h / 2), Jitter(cx + w / 2, cy + h / 2), Jitter(cx - w / 2, cy + h / 2),
        ];
        Point2f[] source = [new(0, 0), new(targetImage.Width, 0), new(targetImage.Width, targetImage.Height), new(0, targetImage.Height)];
        using var homography = Cv2.GetPerspectiveTransform(source, corners);
        Cv2.WarpPerspective(targetImage, frame, homography, frame.Size(), InterpolationFlags.Linear, BorderTypes.Transparent);

        Cv2.GaussianBlur(frame, frame, new Size(3, 3), 0.8);
        if (extraBlur > 0) Cv2.GaussianBlur(frame, frame, new Size(0, 0), extraBlur);
        // Seeded: OpenCV's own generator is per thread, so its noise would depend on which tests ran before on the thread.
        using var noise = new Mat(frame.Size(), MatType.CV_16SC3);
        new RNG((ulong)seed).Fill(noise, DistributionType.Normal, Scalar.All(0), Scalar.All(6));
        using var noisy = new Mat();
        frame.ConvertTo(noisy, MatType.CV_16SC3);
        Cv2.Add(noisy, noise, noisy);
        var gain = 0.8 + random.NextDouble() * 0.35;
        noisy.ConvertTo(frame, MatType.CV_8UC3, gain, random.Next(-15, 15));
        return new Scan(frame.ImEncode(".jpg", new ImageEncodingParam(ImwriteFlags.JpegQuality, 75)), corners);
    }

    /// <summary>Several camera scans (see CameraScan) side by side in one frame, as a shelf shows several packages; the corners
    /// of each target in that frame, in the order given.</summary>
    public static (byte[] Jpeg, Point2f[][] Corners) SideBySide(params Scan[] scans)
    {
        var frames = scans.Select(s => Cv2.ImDecode(s.Jpeg, ImreadModes.Color)).ToArray();
        try
        {
            using var frame = new Mat();
            Cv2.HConcat(frames, frame);
            var offset = 0;
            var corners = new Point2f[scans.Length][];
            for (var i = 0; i < scans.Length; i++)
            {
                var x = offset;
                corners[i] = scans[i].Corners.Select(c => new Point2f(c.X + x, c.Y)).ToArray();
                offset += frames[i].Width;
            }
            return (frame.ImEncode(".jpg", new ImageEncodingParam(ImwriteFlags.JpegQuality, 85)), corners);
        }
        finally
        {
            foreach (var f in frames) f.Dispose();
        }
    }

    /// <summary>A flat logo, as simple-icons' are printed on packaging: a star-like polygon and up to two more bold shapes
    /// (ellipse, ring, turned box, triangle) in one saturated colour on a light or dark plate of another hue, with a margin of an eighth. Their smooth
    /// or straight edges give ORB few corners.</summary>
    public static byte[] FlatLogo(int seed, int size = 480)
    {
        var random = new Random(seed);
        var plateHue = random.Next(180);
        var plate = random.Next(2) == 0 ? Hsv(plateHue, 30, 240) : Hsv(plateHue, 60, 45);
        using var image = new Mat(size, size, MatType.CV_8UC3, plate);
        var ink = Hsv((plateHue + 40 + random.Next(100)) % 180, 220, 210);
        var margin = size / 8;
        int Coordinate() => random.Next(margin + size / 6, size - margin - size / 6);
        // First a star-like polygon with uneven arms: an ellipse or a triangle alone is any other ellipse or triangle seen
        // at some angle, and a logo of nothing else could not be told from another.
        var hub = new Point(size / 2, size / 2);
        var arms = Enumerable.Range(0, 7).Select(_ => random.NextDouble() * 2 * Math.PI).Order()
            .Select(angle => (Angle: angle, Radius: size * (0.12 + 0.22 * random.NextDouble())))
            .Select(arm => new Point(hub.X + arm.Radius * Math.Cos(arm.Angle), hub.Y + arm.Radius * Math.Sin(arm.Angle))).ToArray();
        Cv2.FillPoly(image, [arms], ink, LineTypes.AntiAlias);
        for (var i = 0; i < random.Next(3); i++)
        {
            var centre = new Point(Coordinate(), Coordinate());
            var (long_, short_) = (random.Next(size / 12, size / 6), random.Next(size / 20, size / 10));
            switch (random.Next(4))
            {
                case 0:
                    Cv2.Ellipse(image, centre, new Size(long_, short_), random.Next(180), 0, 360, ink, -1, LineTypes.AntiAlias);
                    break;
                case 1:
                    Cv2.Circle(image, centre, long_, ink, short_ / 2 + 4, LineTypes.AntiAlias);
                    break;
                case 2:
                    var box = new RotatedRect(new Point2f(centre.X, centre.Y), new Size2f(2 * long_, 2 * short_), random.Next(180));
                    Cv2.FillConvexPoly(image, box.Points().Select(p => new Point(p.X, p.Y)), ink, LineTypes.AntiAlias);
                    break;
                default:
                    Point[] triangle = [.. Enumerable.Range(0, 3).Select(_ => new Point(random.Next(margin, size - margin),
                        random.Next(margin, size - margin)))];
                    Cv2.FillConvexPoly(image, triangle, ink, LineTypes.AntiAlias);
                    break;
            }
        }
        return image.ImEncode(".png");
    }

    /// <summary>A colour from OpenCV's hue (0–179), saturation and value.</summary>
    private static Scalar Hsv(int hue, int saturation, int value)
    {
        using var hsv = new Mat(1, 1, MatType.CV_8UC3, new Scalar(hue, saturation, value));
        using var bgr = hsv.CvtColor(ColorConversionCodes.HSV2BGR);
        var pixel = bgr.At<Vec3b>(0, 0);
        return new Scalar(pixel.Item0, pixel.Item1, pixel.Item2);
    }

    /// <summary>A photo-like frame with no registered target in it.</summary>
    public static byte[] UnrelatedPhoto(int seed, int width = 640, int height = 480)
    {
        using var image = Texture(seed + 7_777_777, width, height, shapes: 60);
        return image.ImEncode(".jpg", new ImageEncodingParam(ImwriteFlags.JpegQuality, 80));
    }

    public static byte[] Plain(int width, int height, byte gray = 200)
    {
        using var image = new Mat(height, width, MatType.CV_8UC3, Scalar.All(gray));
        return image.ImEncode(".png");
    }

    private static Mat Texture(int seed, int width, int height, int shapes = 80)
    {
        var random = new Random(seed);
        Scalar Colour() => new(random.Next(256), random.Next(256), random.Next(256));
        Point Anywhere() => new(random.Next(width), random.Next(height));
        var image = new Mat(height, width, MatType.CV_8UC3, Colour());
        for (var i = 0; i < shapes; i++)
        {
            switch (random.Next(5))
            {
                case 0:
                    Cv2.Rectangle(image, Anywhere(), Anywhere(), Colour(), random.Next(2) == 0 ? -1 : random.Next(1, 5));
                    break;
                case 1:
                    Cv2.Circle(image, Anywhere(), random.Next(5, Math.Max(6, width / 6)), Colour(), random.Next(2) == 0 ? -1 : random.Next(1, 5));
                    break;
                case 2:
                    Cv2.Line(image, Anywhere(), Anywhere(), Colour(), random.Next(1, 6));
                    break;
                case 3:
                    Cv2.FillPoly(image, [[Anywhere(), Anywhere(), Anywhere()]], Colour());
                    break;
                default:
                    var text = new string(Enumerable.Range(0, random.Next(3, 8)).Select(_ => (char)random.Next('A', 'Z' + 1)).ToArray());
                    Cv2.PutText(image, text, Anywhere(), (HersheyFonts)random.Next(0, 8), 0.6 + random.NextDouble() * 1.6, Colour(), random.Next(1, 4));
                    break;
            }
        }
        return image;
    }
}
