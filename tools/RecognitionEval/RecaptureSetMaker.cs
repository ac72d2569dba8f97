using System.Globalization;
using System.Runtime.InteropServices;
using OpenCvSharp;

namespace ArFleet.RecognitionEval;

/// <summary>make-dataset --recaptures: a development set for recapture detection. Each query shows one target as the
/// object itself (genuine), on an RGB-stripe LCD screen, or as an AM halftone print, and all three pass through one
/// camera stage: a homography into a wallpaper photo rendered above the sensor's resolution, defocus, sampling onto the
/// sensor at a non-integer ratio (so any moiré comes from sampling, not from drawing), a Bayer mosaic with shot and read
/// noise, demosaicing, exposure and JPEG 70-95. Scales, angles, blur, glare and JPEG follow the same distributions in
/// every class, so the only difference is the recapture. truth.csv says each query's class, its split (train or test:
/// the test settings are screen pitches and print rulings and angles that training never sees) and its settings.
/// Reproducible from the seed.</summary>
public static class RecaptureSetMaker
{
    private const int FrameWidth = 800, FrameHeight = 600;

    public enum Capture { Genuine, Screen, Print }

    /// <summary>Screens showing the target at up to this many pixels across are training settings; finer ones are held out.</summary>
    public const int TrainMaxScreenPixels = 480;

    /// <summary>Print rulings (lines per inch) used for training; 150 and 175 are held out, as are the rotated screen angles.</summary>
    public static readonly int[] TrainRulings = [100, 133], TestRulings = [150, 175];

    // Conventional CMYK screen angles (cyan 15°, magenta 75°, yellow 0°, black 45°) for training; the held-out set turns them by 7.5°.
    private static readonly double[] TrainAngles = [15, 75, 0, 45], TestAngles = [22.5, 82.5, 7.5, 52.5];

    public static int Run(Arguments args)
    {
        var output = args.Required("out");
        var targetCount = args.Number("targets", 24);
        var queryCount = args.Number("queries", 300);
        var random = new Random(args.Number("seed", 1));
        var backgrounds = DatasetMaker.Backgrounds();
        if (backgrounds.Count == 0) throw new ArgumentException("no wallpapers found: install plasma-workspace-wallpapers and mate-backgrounds");
        Directory.CreateDirectory(Path.Combine(output, "targets"));
        Directory.CreateDirectory(Path.Combine(output, "queries"));

        // Posters and 福 need nothing but fonts; logos come from simple-icons when --icons is given.
        var targets = new List<string>();
        var icons = args.Text("icons") is { } folder && Directory.Exists(folder)
            ? Directory.GetFiles(folder, "*.svg").Order(StringComparer.Ordinal).OrderBy(_ => random.Next()).Take(targetCount / 3).ToList() : [];
        foreach (var icon in icons)
            targets.Add(DatasetMaker.Save(output, $"logo-{Path.GetFileNameWithoutExtension(icon)}", DatasetMaker.RenderLogo(icon, random)));
        var fonts = DatasetMaker.CjkFonts();
        if (fonts.Count > 0 && targets.Count < targetCount)
            targets.Add(DatasetMaker.Save(output, "fu-red", DatasetMaker.RenderFu(fonts[0], DatasetMaker.FuColours[0])));
        for (var i = 0; targets.Count < targetCount; i++) targets.Add(DatasetMaker.Save(output, $"poster-{i:D5}", DatasetMaker.Poster(random, 480, 360)));

        using var truth = new StreamWriter(Path.Combine(output, "truth.csv"));
        truth.WriteLine("query,targetId,class,split,setting");
        var counts = new int[3];
        for (var q = 0; q < queryCount; q++)
        {
            var capture = (Capture)(q % 3);
            var targetId = targets[random.Next(targets.Count)];
            using var target = Cv2.ImRead(Path.Combine(output, "targets", targetId + ".png"), ImreadModes.Color);
            var scene = Scene.Draw(capture, random);
            using var photo = Cv2.ImRead(backgrounds[random.Next(backgrounds.Count)], ImreadModes.Color);
            using var frame = Render(target, photo, scene, random, out var camera, out _);
            var name = $"q{q:D5}.jpg";
            Cv2.ImWrite(Path.Combine(output, "queries", name), frame, new ImageEncodingParam(ImwriteFlags.JpegQuality, camera.JpegQuality));
            truth.WriteLine($"{name},{targetId},{capture.ToString().ToLowerInvariant()},{(scene.Held ? "test" : "train")},{scene.Describe()} {camera}");
            counts[(int)capture]++;
        }
        Console.WriteLine($"{targets.Count} targets, {queryCount} queries ({counts[0]} genuine, {counts[1]} screen, {counts[2]} print) in {output}");
        return 0;
    }

    /// <summary>What stands in front of the camera, and how it was made; Held marks the held-out settings.</summary>
    public sealed record Scene(Capture Capture, bool Held, double Margin, double[] MarginColour, double Glare,
        int ScreenPixels = 0, double Gamma = 1, double Saturation = 1, double Emission = 1, double Bezel = 0, double[]? BezelColour = null,
        int Ruling = 0, double Inches = 0, double[]? Angles = null, double DotGain = 0)
    {
        public static Scene Draw(Capture capture, Random random)
        {
            // A border around the target in every class: an object's own plate or mat, a print's paper, a screen's letterbox.
            var margin = random.NextDouble() < 0.5 ? 0 : 0.02 + 0.1 * random.NextDouble();
            var grey = random.NextDouble() < 0.5 ? 0.92 + 0.06 * random.NextDouble() : 0.05 + 0.3 * random.NextDouble();
            double[] marginColour = [grey, grey, grey];
            var glare = random.NextDouble() < (capture == Capture.Screen ? 0.5 : 0.3) ? 0.15 + 0.45 * random.NextDouble() : 0;
            switch (capture)
            {
                case Capture.Screen:
                    var held = random.NextDouble() < 0.5;
                    var pixels = held ? random.Next(TrainMaxScreenPixels + 20, 901) : random.Next(240, TrainMaxScreenPixels + 1);
                    var bezel = 0.03 + 0.08 * random.NextDouble();
                    var bezelGrey = random.NextDouble() < 0.8 ? 0.02 + 0.08 * random.NextDouble() : 0.85 + 0.1 * random.NextDouble();
                    return new Scene(capture, held, margin, marginColour, glare, ScreenPixels: pixels, Gamma: 0.8 + 0.45 * random.NextDouble(),
                        Saturation: 0.85 + 0.5 * random.NextDouble(), Emission: 0.85 + 0.4 * random.NextDouble(), Bezel: bezel,
                        BezelColour: [bezelGrey, bezelGrey, bezelGrey]);
                case Capture.Print:
                    var heldPrint = random.NextDouble() < 0.5;
                    var rulings = heldPrint ? TestRulings : TrainRulings;
                    double[] paper = [0.9 + 0.08 * random.NextDouble(), 0.92 + 0.06 * random.NextDouble(), 0.94 + 0.05 * random.NextDouble()];
                    return new Scene(capture, heldPrint, margin, paper, glare, Ruling: rulings[random.Next(rulings.Length)],
                        Inches: 3 + 4 * random.NextDouble(), Angles: heldPrint ? TestAngles : TrainAngles, DotGain: 0.05 + 0.2 * random.NextDouble());
                default:
                    return new Scene(capture, random.NextDouble() < 0.5, margin, marginColour, glare);
            }
        }

        public string Describe() => Capture switch
        {
            Capture.Screen => Invariant($"pixels={ScreenPixels} gamma={Gamma:F2} saturation={Saturation:F2} emission={Emission:F2} ") +
                Invariant($"bezel={Bezel:F2} margin={Margin:F2} glare={Glare:F2}"),
            Capture.Print => Invariant($"lpi={Ruling} inches={Inches:F1} angles={Angles![0]} dotGain={DotGain:F2} margin={Margin:F2} glare={Glare:F2}"),
            _ => Invariant($"margin={Margin:F2} glare={Glare:F2}"),
        };
    }

    /// <summary>The camera's settings for one query.</summary>
    public sealed record Camera(double Oversampling, double Defocus, double Exposure, double ShotNoise, double ReadNoise, double Sharpening,
        int JpegQuality, double Size, double Angle)
    {
        public override string ToString() =>
            Invariant($"size={Size:F2} angle={Angle:F0} oversampling={Oversampling:F2} defocus={Defocus:F2} exposure={Exposure:F2} jpeg={JpegQuality}");
    }

    /// <summary>The frame a camera takes of the scene in front of a crop of the photo: see the class summary. The same
    /// random state gives the same camera, placement and background, whatever the scene.</summary>
    public static Mat Render(Mat target, Mat photo, Scene scene, Random random, out Camera camera, out double[][] corners)
    {
        camera = new Camera(Oversampling: 1.5 + random.NextDouble(), Defocus: 0.3 + 0.8 * random.NextDouble(), Exposure: 0.85 + 0.35 * random.NextDouble(),
            ShotNoise: 0.0002 + 0.0012 * random.NextDouble(), ReadNoise: 0.002 + 0.005 * random.NextDouble(), Sharpening: 0.6 * random.NextDouble(),
            JpegQuality: random.Next(70, 96), Size: 0.3 + 0.45 * random.NextDouble(), Angle: (random.NextDouble() - 0.5) * 60);
        var k = camera.Oversampling;
        var (width, height) = ((int)Math.Round(FrameWidth * k), (int)Math.Round(FrameHeight * k));
        using var optical = Background(photo, width, height, random);
        // Reflective things (the scene, an object, a print, a bezel) are lit by the room; a screen emits its own light.
        var illumination = 0.7 + 0.4 * random.NextDouble();
        optical.ConvertTo(optical, MatType.CV_32FC3, illumination / 255);

        var homography = Placement(target, camera, k, random);
        var aspect = target.Height / (double)target.Width;
        corners = new[] { (0.0, 0.0), (1.0, 0.0), (1.0, aspect), (0.0, aspect) }.Select(c => Surface.Apply(homography, c.Item1, c.Item2))
            .Select(p => new[] { p.X / k, p.Y / k }).ToArray();
        var content = Content(target);
        var surface = new Surface(scene, content, target.Height / (double)target.Width, illumination, random);
        surface.Draw(optical, homography);

        Cv2.GaussianBlur(optical, optical, new Size(0, 0), camera.Defocus * k);
        using var sensor = new Mat();
        // Linear resampling at k > 1 reads a few optical samples per sensor pixel: what the lens left above the sensor's
        // Nyquist frequency aliases, as it does on a real sensor without an optical low-pass filter.
        Cv2.Resize(optical, sensor, new Size(FrameWidth, FrameHeight), 0, 0, InterpolationFlags.Linear);
        return Develop(sensor, camera, random);
    }

    /// <summary>The target's corners in the optical image: its longest side at Size of the frame's width, turned by Angle,
    /// each corner moved by up to ±10 % for perspective; maps target units (width 1) to optical pixels.</summary>
    private static double[,] Placement(Mat target, Camera camera, double k, Random random)
    {
        var aspect = target.Height / (double)target.Width;
        var size = FrameWidth * camera.Size * k;
        var (w, h) = aspect <= 1 ? (size, size * aspect) : (size / aspect, size);
        var angle = camera.Angle * Math.PI / 180;
        var radius = Math.Sqrt(w * w + h * h) / 2;
        var cx = radius + random.NextDouble() * Math.Max(0, FrameWidth * k - 2 * radius);
        var cy = 2 * radius > FrameHeight * k ? FrameHeight * k / 2 : radius + random.NextDouble() * (FrameHeight * k - 2 * radius);
        Point2f Corner(double dx, double dy)
        {
            dx += (random.NextDouble() - 0.5) * w * 0.2;
            dy += (random.NextDouble() - 0.5) * h * 0.2;
            return new((float)(cx + dx * Math.Cos(angle) - dy * Math.Sin(angle)), (float)(cy + dx * Math.Sin(angle) + dy * Math.Cos(angle)));
        }
        Point2f[] corners = [Corner(-w / 2, -h / 2), Corner(w / 2, -h / 2), Corner(w / 2, h / 2), Corner(-w / 2, h / 2)];
        Point2f[] units = [new(0, 0), new(1, 0), new(1, (float)aspect), new(0, (float)aspect)];
        using var matrix = Cv2.GetPerspectiveTransform(units, corners);
        var result = new double[3, 3];
        for (var r = 0; r < 3; r++) for (var c = 0; c < 3; c++) result[r, c] = matrix.At<double>(r, c);
        return result;
    }

    /// <summary>A random 4:3 crop of the photo at the optical image's size.</summary>
    private static Mat Background(Mat photo, int width, int height, Random random)
    {
        var cropWidth = (int)(Math.Min(photo.Width, photo.Height * 4 / 3) * (0.4 + 0.6 * random.NextDouble()));
        var cropHeight = cropWidth * 3 / 4;
        using var crop = new Mat(photo, new Rect(random.Next(photo.Width - cropWidth + 1), random.Next(photo.Height - cropHeight + 1), cropWidth, cropHeight));
        var frame = new Mat();
        Cv2.Resize(crop, frame, new Size(width, height), 0, 0, InterpolationFlags.Area);
        return frame;
    }

    private static float[,,] Content(Mat target)
    {
        var (width, height) = (target.Width, target.Height);
        var bytes = new byte[width * height * 3];
        using (var continuous = target.Clone()) Marshal.Copy(continuous.Data, bytes, 0, bytes.Length);
        var pixels = new float[height, width, 3];
        for (var i = 0; i < bytes.Length; i++) pixels[i / 3 / width, i / 3 % width, i % 3] = bytes[i] / 255f;
        return pixels;
    }

    /// <summary>Exposure, the Bayer mosaic (RGGB) with shot and read noise, demosaicing, the phone's sharpening.</summary>
    private static Mat Develop(Mat sensor, Camera camera, Random random)
    {
        var (width, height) = (sensor.Width, sensor.Height);
        var light = new float[width * height * 3];
        Marshal.Copy(sensor.Data, light, 0, light.Length); // a new Mat is continuous
        var raw = new byte[width * height];
        for (var y = 0; y < height; y++)
            for (var x = 0; x < width; x++)
            {
                var channel = (y & 1) == 0 ? ((x & 1) == 0 ? 2 : 1) : ((x & 1) == 0 ? 1 : 0);
                var v = Math.Clamp(light[(y * width + x) * 3 + channel] * camera.Exposure, 0, 1);
                v += Gaussian(random) * Math.Sqrt(camera.ShotNoise * v + camera.ReadNoise * camera.ReadNoise);
                raw[y * width + x] = (byte)Math.Clamp(Math.Round(v * 255), 0, 255);
            }
        using var mosaic = new Mat(height, width, MatType.CV_8UC1);
        Marshal.Copy(raw, 0, mosaic.Data, raw.Length);
        var developed = new Mat();
        Cv2.CvtColor(mosaic, developed, random.Next(2) == 0 ? ColorConversionCodes.BayerBG2BGR : ColorConversionCodes.BayerBG2BGR_EA);
        if (camera.Sharpening > 0)
        {
            using var blurred = new Mat();
            Cv2.GaussianBlur(developed, blurred, new Size(0, 0), 1.2);
            Cv2.AddWeighted(developed, 1 + camera.Sharpening, blurred, -camera.Sharpening, 0, developed);
        }
        return developed;
    }

    private static double Gaussian(Random random) =>
        Math.Sqrt(-2 * Math.Log(1 - random.NextDouble())) * Math.Cos(2 * Math.PI * random.NextDouble());

    private static string Invariant(FormattableString text) => text.ToString(CultureInfo.InvariantCulture);

    /// <summary>The scene's surface in target units (the target spans x 0-1, y 0-aspect), drawn into the optical image by
    /// supersampling each pixel it covers through the inverse homography.</summary>
    private sealed class Surface(Scene scene, float[,,] content, double aspect, double illumination, Random random)
    {
        private readonly int contentWidth = content.GetLength(1), contentHeight = content.GetLength(0);
        // Glare: a soft white highlight somewhere on the surface.
        private readonly (double X, double Y, double Radius) glare = (random.NextDouble(), random.NextDouble() * aspect, 0.1 + 0.3 * random.NextDouble());
        // Paper and material texture: a fixed random field, read with wrap-around.
        private readonly float[] texture = Enumerable.Range(0, 64 * 64).Select(_ => (float)Gaussian(random)).ToArray();

        private readonly (double Cos, double Sin)[] turns = (scene.Angles ?? [0, 0, 0, 0])
            .Select(a => (Math.Cos(a * Math.PI / 180), Math.Sin(a * Math.PI / 180))).ToArray();

        private double Outer => scene.Margin + scene.Bezel;

        public void Draw(Mat optical, double[,] h)
        {
            var inverse = Invert(h);
            // The optical pixels the surface (target, margin and bezel) may cover.
            var extent = new[] { (-Outer, -Outer), (1 + Outer, -Outer), (1 + Outer, aspect + Outer), (-Outer, aspect + Outer) }
                .Select(c => Apply(h, c.Item1, c.Item2)).ToArray();
            var x0 = Math.Max(0, (int)extent.Min(p => p.X)); var x1 = Math.Min(optical.Width - 1, (int)extent.Max(p => p.X) + 1);
            var y0 = Math.Max(0, (int)extent.Min(p => p.Y)); var y1 = Math.Min(optical.Height - 1, (int)extent.Max(p => p.Y) + 1);
            const int samples = 3; // the same in every class, so sampling itself tells nothing
            var stride = optical.Width;
            var pixels = new float[optical.Width * optical.Height * 3];
            Marshal.Copy(optical.Data, pixels, 0, pixels.Length); // continuous: converted in place from a new Mat
            Span<double> colour = stackalloc double[3];
            Span<double> sum = stackalloc double[3];
            for (var y = y0; y <= y1; y++)
                for (var x = x0; x <= x1; x++)
                {
                    sum.Clear();
                    var covered = 0;
                    for (var sy = 0; sy < samples; sy++)
                        for (var sx = 0; sx < samples; sx++)
                        {
                            var (u, v) = Apply(inverse, x + (sx + 0.5) / samples - 0.5, y + (sy + 0.5) / samples - 0.5);
                            if (!Sample(u, v, colour)) continue;
                            covered++;
                            for (var c = 0; c < 3; c++) sum[c] += colour[c];
                        }
                    if (covered == 0) continue;
                    var alpha = covered / (double)(samples * samples);
                    var at = (y * stride + x) * 3;
                    for (var c = 0; c < 3; c++) pixels[at + c] = (float)(pixels[at + c] * (1 - alpha) + sum[c] / (samples * samples));
                }
            Marshal.Copy(pixels, 0, optical.Data, pixels.Length);
        }

        /// <summary>The light the surface sends the camera at (u, v), false outside it.</summary>
        private bool Sample(double u, double v, Span<double> colour)
        {
            var outer = Outer;
            if (u < -outer || v < -outer || u > 1 + outer || v > aspect + outer) return false;
            var inTarget = u >= 0 && v >= 0 && u <= 1 && v <= aspect;
            var inMargin = u >= -scene.Margin && v >= -scene.Margin && u <= 1 + scene.Margin && v <= aspect + scene.Margin;
            switch (scene.Capture)
            {
                case Capture.Screen:
                    if (!inMargin) { Fill(colour, scene.BezelColour!, illumination); break; }
                    Screen(u, v, inTarget, colour);
                    break;
                case Capture.Print:
                    if (inTarget) Halftone(u, v, colour);
                    else Fill(colour, scene.MarginColour, 1);
                    var grain = 1 + 0.03 * Texture(u * 400, v * 400);
                    for (var c = 0; c < 3; c++) colour[c] *= illumination * grain;
                    break;
                default:
                    if (inTarget) Read(u, v, colour); else Fill(colour, scene.MarginColour, 1);
                    var material = 1 + 0.015 * Texture(u * 200, v * 200);
                    for (var c = 0; c < 3; c++) colour[c] *= illumination * material;
                    break;
            }
            if (scene.Glare > 0)
            {
                var d2 = ((u - glare.X) * (u - glare.X) + (v - glare.Y) * (v - glare.Y)) / (glare.Radius * glare.Radius);
                var highlight = scene.Glare * Math.Exp(-d2);
                for (var c = 0; c < 3; c++) colour[c] += highlight;
            }
            return true;
        }

        /// <summary>An RGB-stripe LCD: each screen pixel shows the target's colour at its centre through the display's gamma and
        /// gamut (clipped), as three vertical subpixel stripes with dark gaps between them and between rows.</summary>
        private void Screen(double u, double v, bool inTarget, Span<double> colour)
        {
            var pitch = 1.0 / scene.ScreenPixels;
            var px = Math.Floor(u / pitch); var py = Math.Floor(v / pitch);
            var fu = u / pitch - px; var fv = v / pitch - py;
            var stripe = (int)(fu * 3); // 0 red, 1 green, 2 blue, left to right
            var within = fu * 3 - stripe;
            var channel = 2 - stripe; // BGR
            var lit = within > 0.12 && within < 0.88 && fv > 0.06 && fv < 0.94;
            if (!lit) { colour.Clear(); return; }
            if (inTarget) Read(Math.Clamp((px + 0.5) * pitch, 0, 1), Math.Clamp((py + 0.5) * pitch, 0, aspect), colour);
            else Fill(colour, scene.MarginColour, 1);
            var luma = 0.114 * colour[0] + 0.587 * colour[1] + 0.299 * colour[2];
            var shown = Math.Pow(Math.Clamp(luma + scene.Saturation * (colour[channel] - luma), 0, 1), scene.Gamma);
            colour.Clear();
            // The stripe carries its channel at the brightness the pixel's area averages to (open area 0.76 × 0.88, one channel of three).
            colour[channel] = shown * scene.Emission * 3 / (0.76 * 0.88);
        }

        /// <summary>An AM halftone: the colour separated into CMYK (grey component replaced by black), each ink screened at its
        /// angle and ruling with a round-to-square cosine dot grown by dot gain, the inks multiplying the paper's colour.</summary>
        private void Halftone(double u, double v, Span<double> colour)
        {
            Read(u, v, colour);
            var (b, g, r) = (colour[0], colour[1], colour[2]);
            var (cyan, magenta, yellow) = (1 - r, 1 - g, 1 - b);
            var black = Math.Min(cyan, Math.Min(magenta, yellow));
            double[] coverage = [cyan - black, magenta - black, yellow - black, black];
            var cells = scene.Ruling * scene.Inches; // halftone cells across the target's width
            for (var c = 0; c < 3; c++) colour[c] = scene.MarginColour[c];
            for (var ink = 0; ink < 4; ink++)
            {
                var cover = Math.Clamp(coverage[ink] + scene.DotGain * 4 * coverage[ink] * (1 - coverage[ink]) / 2, 0, 1);
                if (cover <= 0) continue;
                var (cos, sin) = turns[ink];
                var p = (u * cos + v * sin) * cells;
                var q = (-u * sin + v * cos) * cells;
                var spot = 0.5 * (Math.Cos(2 * Math.PI * p) + Math.Cos(2 * Math.PI * q));
                if (spot <= 1 - 2 * cover) continue;
                for (var c = 0; c < 3; c++) colour[c] *= Inks[ink][c];
            }
        }

        // Each ink's transmission in BGR: cyan, magenta, yellow, black.
        private static readonly double[][] Inks = [[0.94, 0.68, 0.05], [0.55, 0.05, 0.93], [0.05, 0.95, 1.0], [0.1, 0.1, 0.1]];

        private void Read(double u, double v, Span<double> colour)
        {
            var x = Math.Clamp(u * (contentWidth - 1), 0, contentWidth - 1);
            var y = Math.Clamp(v / aspect * (contentHeight - 1), 0, contentHeight - 1);
            int xi = Math.Min((int)x, contentWidth - 2), yi = Math.Min((int)y, contentHeight - 2);
            double fx = x - xi, fy = y - yi;
            for (var c = 0; c < 3; c++)
                colour[c] = content[yi, xi, c] * (1 - fx) * (1 - fy) + content[yi, xi + 1, c] * fx * (1 - fy)
                    + content[yi + 1, xi, c] * (1 - fx) * fy + content[yi + 1, xi + 1, c] * fx * fy;
        }

        private static void Fill(Span<double> colour, double[] value, double gain)
        {
            for (var c = 0; c < 3; c++) colour[c] = value[c] * gain;
        }

        private double Texture(double x, double y) => texture[((int)y & 63) * 64 + ((int)x & 63)];

        public static (double X, double Y) Apply(double[,] m, double x, double y)
        {
            var w = m[2, 0] * x + m[2, 1] * y + m[2, 2];
            return ((m[0, 0] * x + m[0, 1] * y + m[0, 2]) / w, (m[1, 0] * x + m[1, 1] * y + m[1, 2]) / w);
        }

        private static double[,] Invert(double[,] m)
        {
            var a = m;
            var det = a[0, 0] * (a[1, 1] * a[2, 2] - a[1, 2] * a[2, 1]) - a[0, 1] * (a[1, 0] * a[2, 2] - a[1, 2] * a[2, 0]) +
                a[0, 2] * (a[1, 0] * a[2, 1] - a[1, 1] * a[2, 0]);
            return new[,]
            {
                { (a[1, 1] * a[2, 2] - a[1, 2] * a[2, 1]) / det, (a[0, 2] * a[2, 1] - a[0, 1] * a[2, 2]) / det, (a[0, 1] * a[1, 2] - a[0, 2] * a[1, 1]) / det },
                { (a[1, 2] * a[2, 0] - a[1, 0] * a[2, 2]) / det, (a[0, 0] * a[2, 2] - a[0, 2] * a[2, 0]) / det, (a[0, 2] * a[1, 0] - a[0, 0] * a[1, 2]) / det },
                { (a[1, 0] * a[2, 1] - a[1, 1] * a[2, 0]) / det, (a[0, 1] * a[2, 0] - a[0, 0] * a[2, 1]) / det, (a[0, 0] * a[1, 1] - a[0, 1] * a[1, 0]) / det },
            };
        }
    }
}
