using System.Diagnostics;
using System.Globalization;
using System.Text.RegularExpressions;
using OpenCvSharp;

namespace ArFleet.RecognitionEval;

/// <summary>Writes an evaluation set: targets/ (simple-icons logos in a fill colour on a plate, 福 in the CJK
/// fonts installed, procedural posters, and optional distractors), queries/ (targets pasted into real
/// wallpaper photos under a random homography, then blurred, noised, relit and JPEG-compressed, plus
/// queries with no target) and truth.csv. Reproducible from the seed and the installed packages.</summary>
public static partial class DatasetMaker
{
    private const int FrameWidth = 640, FrameHeight = 480;
    private const double NoTargetShare = 0.2;

    public static int Run(Arguments args)
    {
        if (args.Flag("recaptures")) return RecaptureSetMaker.Run(args);
        var output = args.Required("out");
        var icons = args.Required("icons");
        var targetCount = args.Number("targets", 1000);
        var queryCount = args.Number("queries", 300);
        var distractorCount = args.Number("distractors", 0);
        var random = new Random(args.Number("seed", 1));
        if (!Directory.Exists(icons)) throw new ArgumentException($"no simple-icons folder at {icons}");
        var backgrounds = Backgrounds();
        if (backgrounds.Count == 0) throw new ArgumentException("no wallpapers found: install plasma-workspace-wallpapers and mate-backgrounds");

        Directory.CreateDirectory(Path.Combine(output, "targets"));
        Directory.CreateDirectory(Path.Combine(output, "queries"));
        var iconFiles = Directory.GetFiles(icons, "*.svg").Order(StringComparer.Ordinal).OrderBy(_ => random.Next()).ToList();
        var fonts = CjkFonts();

        // Mostly logos (the product's typical target), 福 in every font and colour pair, posters for the rest.
        var fuCount = Math.Min(fonts.Count * FuColours.Length, Math.Max(1, targetCount / 20));
        var posterCount = Math.Max(0, targetCount / 5);
        var logoCount = Math.Min(iconFiles.Count, targetCount - fuCount - posterCount);
        posterCount = targetCount - fuCount - logoCount;
        var targets = new List<string>();
        foreach (var icon in iconFiles.Take(logoCount))
            targets.Add(Save(output, $"logo-{Path.GetFileNameWithoutExtension(icon)}", RenderLogo(icon, random)));
        // Region variants of one family (Noto Sans CJK SC/TC/JP...) draw 福 alike: keep one of identical renderings.
        var rendered = new HashSet<string>();
        foreach (var (font, colour) in Enumerable.Range(0, fonts.Count * FuColours.Length).Select(i => (fonts[i % fonts.Count], FuColours[i / fonts.Count])))
        {
            if (targets.Count == logoCount + fuCount) break;
            var fu = RenderFu(font, colour);
            if (rendered.Add(Convert.ToHexString(System.Security.Cryptography.SHA256.HashData(fu.ImEncode(".png")))))
                targets.Add(Save(output, $"fu-{Slug(font)}-{colour.Name}", fu));
            else fu.Dispose();
        }
        fuCount = targets.Count - logoCount;
        posterCount = targetCount - logoCount - fuCount;
        for (var i = 0; i < posterCount; i++)
            targets.Add(Save(output, $"poster-{i:D5}", Poster(random, 480, 360)));
        using var truth = new StreamWriter(Path.Combine(output, "truth.csv"));
        truth.WriteLine("query,targetId");
        for (var q = 0; q < queryCount; q++)
        {
            using var frame = Background(backgrounds[random.Next(backgrounds.Count)], random);
            string targetId = "";
            if (random.NextDouble() >= NoTargetShare)
            {
                targetId = targets[random.Next(targets.Count)];
                using var target = Cv2.ImRead(Directory.GetFiles(Path.Combine(output, "targets"), targetId + ".*")[0], ImreadModes.Color);
                Paste(frame, target, random);
            }
            var name = $"q{q:D5}.jpg";
            Degrade(frame, random);
            Cv2.ImWrite(Path.Combine(output, "queries", name), frame, new ImageEncodingParam(ImwriteFlags.JpegQuality, random.Next(50, 91)));
            truth.WriteLine($"{name},{targetId}");
        }
        // Distractors are never in a query, and come last so the same seed gives the same targets and queries with or without them.
        var distractorLogos = iconFiles.Skip(logoCount).Take(distractorCount).ToList();
        foreach (var icon in distractorLogos)
            Save(output, $"distractor-logo-{Path.GetFileNameWithoutExtension(icon)}", RenderLogo(icon, random), jpeg: true);
        for (var i = distractorLogos.Count; i < distractorCount; i++)
            Save(output, $"distractor-poster-{i:D6}", Poster(random, 480, 360), jpeg: true);

        Console.WriteLine($"{targets.Count} targets ({logoCount} logos, {fuCount} 福, {posterCount} posters), {distractorCount} distractors, " +
            $"{queryCount} queries in {output}");
        return 0;
    }

    internal static readonly (string Name, string Fill, string Plate)[] FuColours =
        [("red", "#1a1a1a", "#d7262e"), ("gold", "#f5c542", "#b01c24"), ("ink", "#111111", "#f4efe6")];

    internal static string Save(string output, string name, Mat image, bool jpeg = false)
    {
        using (image)
        {
            var path = Path.Combine(output, "targets", name + (jpeg ? ".jpg" : ".png"));
            Cv2.ImWrite(path, image, jpeg ? [new ImageEncodingParam(ImwriteFlags.JpegQuality, 90)] : []);
        }
        return name;
    }

    private static string Slug(string text) => SlugPattern().Replace(text.ToLowerInvariant(), "");

    /// <summary>The logo's path in a random saturated fill on a light or dark plate, as printed on packaging.</summary>
    internal static Mat RenderLogo(string svgFile, Random random)
    {
        var svg = File.ReadAllText(svgFile);
        var paths = string.Concat(PathElement().Matches(svg).Select(m => m.Value));
        var hue = random.Next(360);
        var dark = random.Next(2) == 0;
        var fill = Hsv(hue, 0.8, dark ? 0.95 : 0.55);
        var plate = dark ? Hsv((hue + 180) % 360, 0.3, 0.15) : Hsv((hue + 180) % 360, 0.1, 0.97);
        var document = """<svg xmlns="http://www.w3.org/2000/svg" width="480" height="480" viewBox="-4 -4 32 32">""" +
            $"""<rect x="-4" y="-4" width="32" height="32" fill="{plate}"/><g fill="{fill}">{paths}</g></svg>""";
        return Rasterise(document);
    }

    internal static Mat RenderFu(string font, (string Name, string Fill, string Plate) colour)
    {
        var document = $"""<svg xmlns="http://www.w3.org/2000/svg" width="480" height="480"><rect width="480" height="480" fill="{colour.Plate}"/>""" +
            $"""<rect x="40" y="40" width="400" height="400" fill="none" stroke="{colour.Fill}" stroke-width="6"/>""" +
            $"""<text x="240" y="360" font-family="{font}" font-size="320" text-anchor="middle" fill="{colour.Fill}">福</text></svg>""";
        return Rasterise(document);
    }

    private static Mat Rasterise(string svg)
    {
        var start = new ProcessStartInfo("rsvg-convert", "--format png")
        { RedirectStandardInput = true, RedirectStandardOutput = true, RedirectStandardError = true };
        using var process = Process.Start(start) ?? throw new InvalidOperationException("rsvg-convert did not start (install librsvg2-bin)");
        process.StandardInput.Write(svg);
        process.StandardInput.Close();
        using var png = new MemoryStream();
        process.StandardOutput.BaseStream.CopyTo(png);
        process.WaitForExit();
        if (process.ExitCode != 0) throw new InvalidOperationException($"rsvg-convert failed: {process.StandardError.ReadToEnd()}");
        return Cv2.ImDecode(png.ToArray(), ImreadModes.Color);
    }

    private static string Hsv(int hue, double saturation, double value)
    {
        var c = value * saturation;
        var x = c * (1 - Math.Abs(hue / 60.0 % 2 - 1));
        var m = value - c;
        var (r, g, b) = (hue / 60) switch { 0 => (c, x, 0.0), 1 => (x, c, 0.0), 2 => (0.0, c, x), 3 => (0.0, x, c), 4 => (x, 0.0, c), _ => (c, 0.0, x) };
        return string.Create(CultureInfo.InvariantCulture, $"#{(int)((r + m) * 255):x2}{(int)((g + m) * 255):x2}{(int)((b + m) * 255):x2}");
    }

    /// <summary>CJK font families that fontconfig knows, one per family name.</summary>
    internal static List<string> CjkFonts()
    {
        var start = new ProcessStartInfo("fc-list", ":lang=zh family") { RedirectStandardOutput = true };
        using var process = Process.Start(start)!;
        var families = process.StandardOutput.ReadToEnd().Split('\n', StringSplitOptions.RemoveEmptyEntries)
            .Select(l => l.Split(',')[0].Trim()).Where(f => f.Length > 0).Distinct().Order(StringComparer.Ordinal).ToList();
        process.WaitForExit();
        return families;
    }

    /// <summary>A poster-like image: shapes, lines and text in many colours on a plain ground.</summary>
    public static Mat Poster(Random random, int width, int height)
    {
        OpenCvSharp.Scalar Colour() => new(random.Next(256), random.Next(256), random.Next(256));
        Point Anywhere() => new(random.Next(width), random.Next(height));
        var image = new Mat(height, width, MatType.CV_8UC3, Colour());
        for (var i = 0; i < 45; i++)
        {
            switch (random.Next(5))
            {
                case 0: Cv2.Rectangle(image, Anywhere(), Anywhere(), Colour(), random.Next(2) == 0 ? -1 : random.Next(1, 5)); break;
                case 1: Cv2.Circle(image, Anywhere(), random.Next(5, width / 6), Colour(), random.Next(2) == 0 ? -1 : random.Next(1, 5)); break;
                case 2: Cv2.Line(image, Anywhere(), Anywhere(), Colour(), random.Next(1, 6)); break;
                case 3: Cv2.FillPoly(image, [[Anywhere(), Anywhere(), Anywhere()]], Colour()); break;
                default:
                    var text = new string(Enumerable.Range(0, random.Next(3, 8)).Select(_ => (char)random.Next('A', 'Z' + 1)).ToArray());
                    Cv2.PutText(image, text, Anywhere(), (HersheyFonts)random.Next(0, 8), 0.6 + random.NextDouble() * 1.6, Colour(), random.Next(1, 4));
                    break;
            }
        }
        return image;
    }

    internal static List<string> Backgrounds() =>
        new[] { "/usr/share/wallpapers", "/usr/share/backgrounds" }.Where(Directory.Exists)
            .SelectMany(d => Directory.EnumerateFiles(d, "*.*", SearchOption.AllDirectories))
            .Where(f => (f.EndsWith(".jpg") || f.EndsWith(".png")) && new FileInfo(f).Length > 200_000 && !f.Contains("screenshot"))
            .Order(StringComparer.Ordinal).ToList();

    /// <summary>A random 4:3 crop of a wallpaper photo at the query frame's size.</summary>
    private static Mat Background(string file, Random random)
    {
        using var photo = Cv2.ImRead(file, ImreadModes.Color);
        var cropWidth = (int)(Math.Min(photo.Width, photo.Height * 4 / 3) * (0.4 + 0.6 * random.NextDouble()));
        var cropHeight = cropWidth * 3 / 4;
        var x = random.Next(photo.Width - cropWidth + 1);
        var y = random.Next(photo.Height - cropHeight + 1);
        using var crop = new Mat(photo, new Rect(x, y, cropWidth, cropHeight));
        var frame = new Mat();
        Cv2.Resize(crop, frame, new Size(FrameWidth, FrameHeight), 0, 0, InterpolationFlags.Area);
        return frame;
    }

    /// <summary>Pastes the target with its longest side at 15–80 % of the frame's width, rotated, with perspective.</summary>
    private static void Paste(Mat frame, Mat target, Random random)
    {
        var size = FrameWidth * (0.15 + 0.65 * random.NextDouble());
        var scale = size / Math.Max(target.Width, target.Height);
        var (w, h) = (target.Width * scale, target.Height * scale);
        var angle = (random.NextDouble() - 0.5) * Math.PI / 2; // ±45°
        var radius = Math.Sqrt(w * w + h * h) / 2;
        var cx = radius + random.NextDouble() * Math.Max(0, FrameWidth - 2 * radius);
        var cy = radius + random.NextDouble() * Math.Max(0, FrameHeight - 2 * radius);
        if (2 * radius > FrameHeight) cy = FrameHeight / 2.0;
        Point2f Corner(double dx, double dy)
        {
            dx += (random.NextDouble() - 0.5) * w * 0.2; // perspective: each corner moves up to ±10 % of the size
            dy += (random.NextDouble() - 0.5) * h * 0.2;
            return new((float)(cx + dx * Math.Cos(angle) - dy * Math.Sin(angle)), (float)(cy + dx * Math.Sin(angle) + dy * Math.Cos(angle)));
        }
        Point2f[] corners = [Corner(-w / 2, -h / 2), Corner(w / 2, -h / 2), Corner(w / 2, h / 2), Corner(-w / 2, h / 2)];
        Point2f[] source = [new(0, 0), new(target.Width, 0), new(target.Width, target.Height), new(0, target.Height)];
        using var homography = Cv2.GetPerspectiveTransform(source, corners);
        Cv2.WarpPerspective(target, frame, homography, frame.Size(), InterpolationFlags.Linear, BorderTypes.Transparent);
    }

    /// <summary>Camera blur, sensor noise and a lighting change.</summary>
    private static void Degrade(Mat frame, Random random)
    {
        var sigma = 0.3 + random.NextDouble() * 1.2;
        Cv2.GaussianBlur(frame, frame, new Size(0, 0), sigma);
        using var noise = new Mat(frame.Size(), MatType.CV_16SC3);
        Cv2.Randn(noise, OpenCvSharp.Scalar.All(0), OpenCvSharp.Scalar.All(2 + random.NextDouble() * 6));
        using var noisy = new Mat();
        frame.ConvertTo(noisy, MatType.CV_16SC3);
        Cv2.Add(noisy, noise, noisy);
        noisy.ConvertTo(frame, MatType.CV_8UC3, 0.6 + random.NextDouble() * 0.7, random.Next(-30, 31));
    }

    [GeneratedRegex("<path[^>]*/>")]
    private static partial Regex PathElement();

    [GeneratedRegex("[^a-z0-9]")]
    private static partial Regex SlugPattern();
}
