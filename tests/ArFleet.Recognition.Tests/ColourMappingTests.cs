using ArFleet.Recognition.Engine;

namespace ArFleet.Recognition.Tests;

/// <summary>The colour cues of the recapture stage on signatures made by known mappings: light, exposure and white glare
/// leave them near zero; a display's gamma and saturation and a print's inks raise them.</summary>
public sealed class ColourMappingTests
{
    private const int Cells = ColourSignature.Side * ColourSignature.Side;
    private static readonly bool[] NoneClipped = new bool[Cells];

    [Fact]
    public void Light_exposure_and_white_glare_leave_the_colour_cues_near_zero()
    {
        var reference = Reference();
        var scan = Map(reference, (_, c, i) => 0.8 * c + 0.04 + Glare(i, 0.25));

        var (curvature, mixing, saturation) = ColourMapping.Of(reference, scan, NoneClipped);

        Assert.True(saturation < 0.05 && mixing < 0.05 && curvature < 0.05, $"curvature {curvature}, mixing {mixing}, saturation {saturation}");
    }

    [Fact]
    public void A_displays_saturation_and_gamma_shift_saturation_and_bend_the_tone_curve()
    {
        var reference = Reference();
        var genuine = ColourMapping.Of(reference, Map(reference, (_, c, _) => 0.8 * c + 0.04), NoneClipped);
        var screen = ColourMapping.Of(reference, Map(reference, (luma, c, _) => 0.9 * Math.Pow(Math.Clamp(luma + 1.3 * (c - luma), 0, 1), 0.75)),
            NoneClipped);

        Assert.True(screen.SaturationShift > genuine.SaturationShift + 0.1, $"{screen} against {genuine}");
        Assert.True(screen.ToneCurvature > genuine.ToneCurvature + 0.05, $"{screen} against {genuine}");
    }

    [Fact]
    public void A_prints_impure_inks_mix_the_channels()
    {
        var reference = Reference();
        var genuine = ColourMapping.Of(reference, Map(reference, (_, c, _) => 0.8 * c + 0.04), NoneClipped);
        // Cyan ink also takes some green, magenta some blue: each channel carries a share of its neighbours' darkness.
        var print = ColourMapping.Of(reference, Inked(reference), NoneClipped);

        Assert.True(print.ChromaMixing > genuine.ChromaMixing + 0.1, $"{print} against {genuine}");
    }

    [Fact]
    public void Clipped_cells_are_left_out_rather_than_read_as_a_shift_in_colour()
    {
        var reference = Reference();
        // Glare strong enough to clip: the brightest channel stops at 255 while the others still rise, which dulls the colour.
        var scan = Map(reference, (_, c, i) => 0.8 * c + 0.04 + Glare(i, 0.9));
        var clipped = Enumerable.Range(0, Cells).Select(i => Enumerable.Range(0, 3).Any(c => scan[3 * i + c] == 255)).ToArray();
        Assert.Contains(true, clipped);

        var withClipped = ColourMapping.Of(reference, scan, NoneClipped);
        var without = ColourMapping.Of(reference, scan, clipped);

        Assert.True(without.SaturationShift < 0.08 && withClipped.SaturationShift > without.SaturationShift + 0.04,
            $"{without} leaving them out, {withClipped} reading them");
    }

    /// <summary>A colourful target with many levels: smooth gradients of three hues and a few flat patches.</summary>
    private static byte[] Reference()
    {
        var random = new Random(7);
        var patches = Enumerable.Range(0, 6)
            .Select(_ => (X: random.Next(16), Y: random.Next(16), Colour: new[] { random.Next(256), random.Next(256), random.Next(256) })).ToArray();
        var bgr = new byte[3 * Cells];
        for (var i = 0; i < Cells; i++)
        {
            var (x, y) = (i % 16 / 15.0, i / 16 / 15.0);
            double[] colour = [40 + 180 * x, 30 + 200 * y * (1 - x), 60 + 150 * (1 - y)];
            foreach (var patch in patches)
                if (Math.Abs(i % 16 - patch.X) < 2 && Math.Abs(i / 16 - patch.Y) < 2) colour = patch.Colour.Select(c => (double)c).ToArray();
            for (var c = 0; c < 3; c++) bgr[3 * i + c] = (byte)colour[c];
        }
        return bgr;
    }

    /// <summary>Each cell's channels through the mapping (luma, the channel's value, the cell; on 0-1), rounded and clipped to bytes.</summary>
    private static byte[] Map(byte[] reference, Func<double, double, int, double> mapping)
    {
        var scan = new byte[reference.Length];
        for (var i = 0; i < Cells; i++)
        {
            var luma = (0.114 * reference[3 * i] + 0.587 * reference[3 * i + 1] + 0.299 * reference[3 * i + 2]) / 255;
            for (var c = 0; c < 3; c++) scan[3 * i + c] = (byte)Math.Clamp(Math.Round(255 * mapping(luma, reference[3 * i + c] / 255.0, i)), 0, 255);
        }
        return scan;
    }

    private static byte[] Inked(byte[] reference)
    {
        var scan = new byte[reference.Length];
        for (var i = 0; i < Cells; i++)
        {
            var (b, g, r) = (reference[3 * i] / 255.0, reference[3 * i + 1] / 255.0, reference[3 * i + 2] / 255.0);
            double[] printed = [b * (1 - 0.4 * (1 - g)), g * (1 - 0.35 * (1 - r)), r * (1 - 0.1 * (1 - b))];
            for (var c = 0; c < 3; c++) scan[3 * i + c] = (byte)Math.Round(255 * (0.8 * printed[c] + 0.04));
        }
        return scan;
    }

    /// <summary>A white highlight of the given strength (0-1) centred on a quarter of the target, a fifth of its side wide.</summary>
    private static double Glare(int cell, double strength)
    {
        var (x, y) = (cell % 16 / 16.0 - 0.3, cell / 16 / 16.0 - 0.35);
        return strength * Math.Exp(-(x * x + y * y) / (0.2 * 0.2));
    }
}
