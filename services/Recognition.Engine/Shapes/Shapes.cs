using OpenCvSharp;
using static ArFleet.Recognition.Engine.RecognitionThresholds;

namespace ArFleet.Recognition.Engine;

/// <summary>Recognition by a target's own shapes, for flat logos that have too few corners for features and no outline
/// to be found (a white plate on a white wall, a plate cut by clutter). A target's shapes are the regions of its ink (what
/// differs from its plate); a scan's are the regions its closed edges enclose. A scan region and a target shape that agree
/// give the affine view between them, and so the target's corners in the scan, which its ColourSignature then checks like an
/// outline's (see TargetIndex.MatchShape).</summary>
public static class Shapes
{
    public const int Rings = 8, Angles = 32, Harmonics = 6;
    /// <summary>48 numbers, like an outline's coarse signature, so that OutlineIndex ranks both.</summary>
    public const int DescriptorLength = Rings * Harmonics;
    /// <summary>The polar grid's outer radius in the whitened frame: a uniform disc whitens to radius 2, a square's corners to 2.45.</summary>
    private const double OuterRadius = 2.6;
    private const int SubSamples = 3;
    private const int TargetSide = 320;

    /// <summary>How alike a region and a target shape are: the correlation of their descriptors, less the distance of their colours.</summary>
    public static double Likeness(float descriptorCorrelation, Shape region, Shape shape) =>
        descriptorCorrelation - ShapeMatching.ChromaWeight * region.ChromaDistance(shape);

    /// <summary>The ink regions of a target image (BGR), largest first, at least 0.5 % of the image each and not touching its
    /// edge. None when the image has no plate: a border of one colour all round, which posters and photos lack.</summary>
    public static Shape[] OfTarget(Mat colour)
    {
        var scale = Math.Min(1.0, (double)TargetSide / Math.Max(colour.Width, colour.Height));
        using var small = new Mat();
        Cv2.Resize(colour, small, new Size(), scale, scale, InterpolationFlags.Area);
        if (PlateColour(small) is not { } plate) return [];
        using var difference = new Mat();
        Cv2.Absdiff(small, new OpenCvSharp.Scalar(plate.Item0, plate.Item1, plate.Item2), difference);
        var channels = difference.Split();
        using var ink = new Mat();
        Cv2.Max(channels[0], channels[1], ink);
        Cv2.Max(ink, channels[2], ink);
        foreach (var channel in channels) channel.Dispose();
        Cv2.Threshold(ink, ink, ShapeMatching.InkContrast, 255, ThresholdTypes.Binary);
        using var labels = new Mat();
        using var stats = new Mat();
        using var centroids = new Mat();
        var count = Cv2.ConnectedComponentsWithStats(ink, labels, stats, centroids, PixelConnectivity.Connectivity8);
        var minArea = 0.005 * small.Width * small.Height;
        var regions = Enumerable.Range(1, count - 1)
            .Select(label => (Label: label, Box: new Rect(stats.At<int>(label, 0), stats.At<int>(label, 1), stats.At<int>(label, 2), stats.At<int>(label, 3)),
                Area: stats.At<int>(label, 4)))
            .Where(r => r.Area >= minArea && r.Box.X > 0 && r.Box.Y > 0 && r.Box.Right < small.Width && r.Box.Bottom < small.Height)
            .OrderByDescending(r => r.Area).Take(ShapeMatching.MaxPerTarget);
        var shapes = new List<Shape>();
        foreach (var region in regions)
        {
            using var roi = new Mat(labels, region.Box);
            using var mask = new Mat();
            Cv2.Compare(roi, new OpenCvSharp.Scalar(region.Label), mask, CmpTypes.EQ);
            using var pixels = new Mat(small, region.Box);
            if (Of(mask, region.Box.Location, 1.0 / small.Width, 1.0 / small.Height, Mean(pixels, mask)) is { } shape) shapes.Add(shape);
        }
        return shapes.ToArray();
    }

    /// <summary>The median colour of the image's outermost pixels, when nine in ten of them are within ShapeMatching.InkContrast of it.</summary>
    private static Vec3b? PlateColour(Mat colour)
    {
        var border = new List<Vec3b>();
        int width = colour.Width, height = colour.Height;
        for (var x = 0; x < width; x++) { border.Add(colour.At<Vec3b>(0, x)); border.Add(colour.At<Vec3b>(height - 1, x)); }
        for (var y = 1; y < height - 1; y++) { border.Add(colour.At<Vec3b>(y, 0)); border.Add(colour.At<Vec3b>(y, width - 1)); }
        byte Median(Func<Vec3b, byte> channel) => border.Select(channel).Order().ElementAt(border.Count / 2);
        var plate = new Vec3b(Median(p => p.Item0), Median(p => p.Item1), Median(p => p.Item2));
        var near = border.Count(p => Math.Max(Math.Abs(p.Item0 - plate.Item0), Math.Max(Math.Abs(p.Item1 - plate.Item1),
            Math.Abs(p.Item2 - plate.Item2))) <= ShapeMatching.InkContrast);
        return near >= 0.9 * border.Count ? plate : null;
    }

    /// <summary>The regions inside the outlines (a closed edge map's holes), grown back by the <paramref name="grow"/> pixels
    /// that the edges and their dilation took from them.</summary>
    public static List<Shape> Regions(Mat colour, IEnumerable<Point[]> outlines, int grow)
    {
        var regions = new List<Shape>();
        using var kernel = Cv2.GetStructuringElement(MorphShapes.Ellipse, new Size(2 * grow + 1, 2 * grow + 1));
        foreach (var outline in outlines)
        {
            var box = Cv2.BoundingRect(outline);
            box = new Rect(box.X - grow - 1, box.Y - grow - 1, box.Width + 2 * grow + 2, box.Height + 2 * grow + 2);
            using var mask = new Mat(box.Size, MatType.CV_8UC1, OpenCvSharp.Scalar.All(0));
            Cv2.FillPoly(mask, [outline], OpenCvSharp.Scalar.All(255), LineTypes.Link8, 0, new Point(-box.X, -box.Y));
            // The colour is the region's inside, before it is grown into its blurred edge.
            var inFrame = box.Intersect(new Rect(0, 0, colour.Width, colour.Height));
            if (inFrame.Width == 0 || inFrame.Height == 0) continue;
            using var pixels = new Mat(colour, inFrame);
            using var maskInFrame = new Mat(mask, new Rect(inFrame.X - box.X, inFrame.Y - box.Y, inFrame.Width, inFrame.Height));
            var mean = Mean(pixels, maskInFrame);
            Cv2.Dilate(mask, mask, kernel);
            if (Of(mask, box.Location, 1, 1, mean) is { } shape) regions.Add(shape);
        }
        return regions;
    }

    /// <summary>The mean colour of the pixels under the mask.</summary>
    private static Vec3b Mean(Mat colour, Mat mask)
    {
        var mean = Cv2.Mean(colour, mask);
        return new Vec3b((byte)Math.Round(mean.Val0), (byte)Math.Round(mean.Val1), (byte)Math.Round(mean.Val2));
    }

    /// <summary>The shape of a mask's non-zero pixels; <paramref name="offset"/> places the mask in the image and the scales
    /// map image pixels to the shape's coordinates. Null for a region too thin to have a frame (a line).</summary>
    internal static Shape? Of(Mat mask, Point offset, double xScale, double yScale, Vec3b colour)
    {
        var moments = Cv2.Moments(mask, binaryImage: true);
        if (moments.M00 < 16) return null;
        double cx = moments.M10 / moments.M00, cy = moments.M01 / moments.M00;
        double sxx = moments.Mu20 / moments.M00, sxy = moments.Mu11 / moments.M00, syy = moments.Mu02 / moments.M00;
        // The covariance's square root, from its eigen decomposition: the frame that whitens the region.
        var trace = sxx + syy;
        var root = Math.Sqrt(Math.Max(0, (sxx - syy) * (sxx - syy) / 4 + sxy * sxy));
        double large = trace / 2 + root, small = trace / 2 - root;
        if (small < 0.01 * large || small <= 0) return null;
        var angle = 0.5 * Math.Atan2(2 * sxy, sxx - syy);
        double c = Math.Cos(angle), s = Math.Sin(angle), a = Math.Sqrt(large), b = Math.Sqrt(small);
        // S = R diag(a, b) Rᵀ
        double s00 = a * c * c + b * s * s, s01 = (a - b) * c * s, s11 = a * s * s + b * c * c;

        var polar = new byte[Rings * Angles];
        int width = mask.Width, height = mask.Height;
        mask.GetArray(out byte[] pixels);
        for (var cell = 0; cell < polar.Length; cell++)
        {
            var inside = 0;
            foreach (var (u, v) in SamplePoints.AsSpan(cell * SubSamples * SubSamples, SubSamples * SubSamples))
            {
                var x = (int)Math.Round(cx + s00 * u + s01 * v);
                var y = (int)Math.Round(cy + s01 * u + s11 * v);
                if (x >= 0 && y >= 0 && x < width && y < height && pixels[y * width + x] != 0) inside++;
            }
            polar[cell] = (byte)(255 * inside / (SubSamples * SubSamples));
        }
        return new Shape(new Point2f((float)((cx + offset.X) * xScale), (float)((cy + offset.Y) * yScale)),
            [(float)(s00 * xScale), (float)(s01 * xScale), (float)(s01 * yScale), (float)(s11 * yScale)], polar, colour);
    }

    /// <summary>Per polar cell (ring by ring, angle by angle), SubSamples × SubSamples points spread over it in the whitened frame.</summary>
    private static readonly (double U, double V)[] SamplePoints =
        (from ring in Enumerable.Range(0, Rings)
         from step in Enumerable.Range(0, Angles)
         from i in Enumerable.Range(0, SubSamples)
         from j in Enumerable.Range(0, SubSamples)
         let r = (ring + (i + 0.5) / SubSamples) / Rings * OuterRadius
         let theta = 2 * Math.PI * (step + (j + 0.5) / SubSamples) / Angles
         select (r * Math.Cos(theta), r * Math.Sin(theta))).ToArray();

    /// <summary>Each ring's spectrum along the angles (magnitudes of harmonics 0 to Harmonics − 1), which a turn leaves
    /// unchanged; centred and scaled to unit length, so that the dot product of two is their correlation.</summary>
    public static float[] Descriptor(byte[] polar)
    {
        var descriptor = new float[DescriptorLength];
        for (var ring = 0; ring < Rings; ring++)
            for (var k = 0; k < Harmonics; k++)
            {
                double re = 0, im = 0;
                for (var step = 0; step < Angles; step++)
                {
                    var (cos, sin) = Twiddles[k * Angles + step];
                    re += polar[ring * Angles + step] * cos;
                    im -= polar[ring * Angles + step] * sin;
                }
                descriptor[ring * Harmonics + k] = (float)Math.Sqrt(re * re + im * im);
            }
        var mean = descriptor.Average();
        var norm = Math.Sqrt(descriptor.Sum(v => (v - mean) * (v - mean)));
        for (var i = 0; i < descriptor.Length; i++) descriptor[i] = norm < 1e-6 ? 0 : (float)((descriptor[i] - mean) / norm);
        return descriptor;
    }

    private static readonly (double Cos, double Sin)[] Twiddles =
        (from k in Enumerable.Range(0, Harmonics) from step in Enumerable.Range(0, Angles)
         select (Math.Cos(2 * Math.PI * k * step / Angles), Math.Sin(2 * Math.PI * k * step / Angles))).ToArray();

    /// <summary>The turns (radians) that best carry the target's polar grid onto the query's, best first, with the grids'
    /// correlation there: the local maxima of their circular correlation, refined between steps by a parabola. A round
    /// region has many equally good turns. Unlike Descriptor, the correlation sees where along the rings the shape lies, so a
    /// seven-armed star is not taken for another with its arms elsewhere.</summary>
    public static List<(double Turn, double Correlation)> Turns(byte[] query, byte[] target, int count)
    {
        var (q, t) = (Centred(query, out _), Centred(target, out var targetRoundness));
        // A round target shape fits any turn equally: its grid says nothing, and its colours have to (see TargetIndex.Placed).
        var round = targetRoundness < ShapeMatching.RoundDeviation;
        var scores = new double[Angles];
        for (var shift = 0; shift < Angles; shift++)
        {
            var sum = 0.0;
            for (var ring = 0; ring < Rings; ring++)
                for (var step = 0; step < Angles; step++)
                    sum += q[ring * Angles + step] * t[ring * Angles + (step - shift + Angles) % Angles];
            scores[shift] = sum;
        }
        return Enumerable.Range(0, Angles)
            .Where(s => scores[s] >= scores[(s + 1) % Angles] && scores[s] > scores[(s + Angles - 1) % Angles])
            .OrderByDescending(s => scores[s]).Take(count)
            .Select(s =>
            {
                double before = scores[(s + Angles - 1) % Angles], at = scores[s], after = scores[(s + 1) % Angles];
                var curvature = before - 2 * at + after;
                var offset = curvature < 0 ? 0.5 * (before - after) / curvature : 0;
                return (2 * Math.PI * (s + offset) / Angles, round ? 1.0 : at);
            }).ToList();
    }

    /// <summary>The grid with each ring less its own mean, scaled to unit length (all zero for a round region): what is
    /// left is where along its rings a region lies, which every compact blob's full middle and empty rim would outweigh.</summary>
    private static double[] Centred(byte[] grid, out double deviation)
    {
        var centred = new double[grid.Length];
        for (var ring = 0; ring < Rings; ring++)
        {
            var values = grid.AsSpan(ring * Angles, Angles);
            var mean = 0.0;
            foreach (var v in values) mean += v;
            mean /= Angles;
            for (var step = 0; step < Angles; step++) centred[ring * Angles + step] = values[step] - mean;
        }
        var norm = Math.Sqrt(centred.Sum(v => v * v));
        deviation = norm / Math.Sqrt(grid.Length);
        return norm < 1e-9 ? centred : centred.Select(v => v / norm).ToArray();
    }

    /// <summary>Shapes as stored: per shape its centre and frame (6 floats), colour (3 bytes) and polar grid.</summary>
    public static byte[] Serialize(Shape[] shapes)
    {
        using var stream = new MemoryStream();
        using var writer = new BinaryWriter(stream);
        foreach (var shape in shapes)
        {
            writer.Write(shape.Centre.X);
            writer.Write(shape.Centre.Y);
            foreach (var value in shape.Frame) writer.Write(value);
            writer.Write([shape.Colour.Item0, shape.Colour.Item1, shape.Colour.Item2]);
            writer.Write(shape.Polar);
        }
        writer.Flush();
        return stream.ToArray();
    }

    public static Shape[] Deserialize(byte[] stored)
    {
        const int size = 6 * sizeof(float) + 3 + Rings * Angles;
        if (stored.Length % size != 0) throw new InvalidDataException($"Stored shapes are {stored.Length} bytes, not a multiple of {size}.");
        using var reader = new BinaryReader(new MemoryStream(stored));
        return Enumerable.Range(0, stored.Length / size).Select(_ =>
        {
            var centre = new Point2f(reader.ReadSingle(), reader.ReadSingle());
            float[] frame = [reader.ReadSingle(), reader.ReadSingle(), reader.ReadSingle(), reader.ReadSingle()];
            var colour = reader.ReadBytes(3);
            return new Shape(centre, frame, reader.ReadBytes(Rings * Angles), new Vec3b(colour[0], colour[1], colour[2]));
        }).ToArray();
    }

    /// <summary>Where the target's points lie in the query if the query region is the target shape turned by <paramref name="turn"/>.</summary>
    public static Point2f[] Project(Shape query, Shape target, double turn, Point2f[] points)
    {
        var (f, g) = (query.Frame, target.Frame);
        // The target frame's inverse takes a target point to the whitened frame; the turn and the query's frame take it on.
        var determinant = g[0] * g[3] - g[1] * g[2];
        double i00 = g[3] / determinant, i01 = -g[1] / determinant, i10 = -g[2] / determinant, i11 = g[0] / determinant;
        double c = Math.Cos(turn), s = Math.Sin(turn);
        return points.Select(p =>
        {
            double dx = p.X - target.Centre.X, dy = p.Y - target.Centre.Y;
            double u = i00 * dx + i01 * dy, v = i10 * dx + i11 * dy;
            double tu = c * u - s * v, tv = s * u + c * v;
            return new Point2f((float)(query.Centre.X + f[0] * tu + f[1] * tv), (float)(query.Centre.Y + f[2] * tu + f[3] * tv));
        }).ToArray();
    }
}
