using ArFleet.Testing;
using OpenCvSharp;

namespace ArFleet.Demo;

/// <summary>The demo's poster, made for the project (no third-party artwork; see demo/README.md): a synthetic poster on a
/// light label with the campaign's title, and a camera-like photo of it (perspective, blur, noise, lighting, JPEG).</summary>
public static class DemoPoster
{
    public const int Seed = 2026;

    public static int Write(string folder)
    {
        Directory.CreateDirectory(folder);
        using var label = Cv2.ImDecode(TestImages.Label(Seed, 600, 420), ImreadModes.Color);
        Cv2.Rectangle(label, new Rect(30, 330, 540, 62), new Scalar(40, 30, 180), -1);
        Cv2.PutText(label, "ArFleet Spring Festival", new Point(48, 372), HersheyFonts.HersheyDuplex, 1.3, Scalar.White, 2, LineTypes.AntiAlias);
        var poster = label.ImEncode(".png");
        File.WriteAllBytes(Path.Combine(folder, "poster.png"), poster);
        File.WriteAllBytes(Path.Combine(folder, "photo-of-poster.jpg"), TestImages.CameraScan(poster, Seed + 1, 960, 720, share: 0.6).Jpeg);
        System.Console.WriteLine($"wrote {folder}/poster.png and {folder}/photo-of-poster.jpg");
        return 0;
    }
}
