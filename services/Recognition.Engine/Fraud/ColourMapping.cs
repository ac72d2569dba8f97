namespace ArFleet.Recognition.Engine;

/// <summary>How a scan's colours follow the target's own, from their ColourSignatures (over cells with no clipped pixel
/// and not black: a channel clipped in part of a cell would shift the cell's colour). Light and exposure scale the
/// target's colours; glare adds white, which leaves the chroma (B − Y, R − Y) as it was. A display's gamma and a
/// halftone's dot gain bend the tone curve, a display's or a print's primaries mix the channels, and both change
/// saturation against brightness.</summary>
internal static class ColourMapping
{
    private const int MinCells = 32;

    /// <summary>Chroma spread (B − Y and R − Y standard deviations, 0-1 scale) under which a target counts as colourless.</summary>
    private const double MinChromaSpread = 0.03;

    /// <summary>Gain under which a fit is not believed: light and exposure scale a target by about 0.5-1.5 in a scan that can be
    /// judged.</summary>
    private const double MinLumaGain = 0.25;

    /// <summary>Share of the cells the luma fits keep: glare covers up to about a third of a target.</summary>
    private const double LumaCellsKept = 0.7;

    /// <summary>ToneCurvature: ln of the luma fit's residual with a gain and offset over that with a square term as well.
    /// ChromaMixing: ln of the chroma fit's residual with each chroma on its own over that on both chromas, their squares
    /// and luma. SaturationShift: |ln| of the chroma's gain over the luma's.</summary>
    public static (double ToneCurvature, double ChromaMixing, double SaturationShift) Of(byte[] reference, byte[] scan, bool[] clipped)
    {
        var cells = Enumerable.Range(0, scan.Length / 3)
            .Where(i => !clipped[i] && Enumerable.Range(0, 3).All(c => scan[3 * i + c] > 4)).ToArray();
        if (cells.Length < MinCells) return (0, 0, 0);
        var (own, seen) = (Channels(reference, cells), Channels(scan, cells));
        // Noise of one level a cell keeps a flat target's tiny residuals from making big ratios.
        var floor = cells.Length / (255.0 * 255.0);

        // Both luma fits leave out the cells a straight fit fits worst (glare's, mostly) and fit glare's rest as a smooth field,
        // a quadratic in the cell's position, unless the target's own luma is such a field (a centred logo), which takes
        // the gain away from the luma.
        var all = Enumerable.Range(0, cells.Length).ToArray();
        var lit = Kept(own.Y, seen.Y, LumaCellsKept);
        double X(int i) => cells[i] % ColourSignature.Side / (double)ColourSignature.Side - 0.5;
        double Y(int i) => cells[i] / ColourSignature.Side / (double)ColourSignature.Side - 0.5;
        void Straight(int i, Span<double> row) => (row[0], row[1]) = (1, own.Y[i]);
        void WithField(int i, Span<double> row)
        {
            Straight(i, row);
            (row[2], row[3], row[4], row[5], row[6]) = (X(i), Y(i), X(i) * X(i), X(i) * Y(i), Y(i) * Y(i));
        }
        var plainGain = Fit(seen.Y, lit, 2, Straight).Gain;
        var withField = Fit(seen.Y, lit, 7, WithField).Gain >= 0.5 * plainGain;
        var k = withField ? 7 : 2;
        Action<int, Span<double>> terms = withField ? WithField : Straight;
        var (straight, lumaGain) = Fit(seen.Y, lit, k, terms);
        var (curved, _) = Fit(seen.Y, lit, k + 1, (i, row) =>
        {
            terms(i, row);
            row[k] = own.Y[i] * own.Y[i];
        });

        double alone = 0, mixed = 0;
        foreach (var (mine, theirs) in new[] { (own.Cb, seen.Cb), (own.Cr, seen.Cr) })
        {
            alone += Fit(theirs, all, 2, (i, row) => (row[0], row[1]) = (1, mine[i])).Residual;
            mixed += Fit(theirs, all, 6, (i, row) =>
                (row[0], row[1], row[2], row[3], row[4], row[5]) = (1, own.Cb[i], own.Cr[i], own.Y[i], own.Cb[i] * own.Cb[i], own.Cr[i] * own.Cr[i])).Residual;
        }
        // One gain for both chromas, so that a chroma with little spread weighs little; a target of hardly any colour has none.
        var chromaGain = PooledGain([own.Cb, own.Cr], [seen.Cb, seen.Cr]);
        var colourful = Spread(own.Cb) + Spread(own.Cr) > MinChromaSpread;
        // A luma gain this low means the target's own luma hardly explains the scan's (glare or clipping took most of it).
        var measured = colourful && Math.Min(plainGain, lumaGain) > MinLumaGain && chromaGain > MinLumaGain;
        var saturation = measured ? Math.Abs(Math.Log(chromaGain / lumaGain)) : 0;
        return (Math.Log((straight + floor) / (curved + floor)), Math.Log((alone + floor) / (mixed + floor)), saturation);
    }

    private sealed record Planes(double[] Y, double[] Cb, double[] Cr);

    private static Planes Channels(byte[] bgr, int[] cells)
    {
        double Luma(int i) => (0.114 * bgr[3 * i] + 0.587 * bgr[3 * i + 1] + 0.299 * bgr[3 * i + 2]) / 255;
        return new Planes(cells.Select(Luma).ToArray(), cells.Select(i => bgr[3 * i] / 255.0 - Luma(i)).ToArray(),
            cells.Select(i => bgr[3 * i + 2] / 255.0 - Luma(i)).ToArray());
    }

    /// <summary>The kept share of the cells, those that a straight fit of observed on own fits best.</summary>
    private static int[] Kept(double[] own, double[] observed, double kept)
    {
        var all = Enumerable.Range(0, observed.Length).ToArray();
        var (_, _, errors) = Solve(observed, all, 2, (i, row) => (row[0], row[1]) = (1, own[i]));
        return all.OrderBy(i => errors[i] * errors[i]).Take((int)(kept * all.Length)).Order().ToArray();
    }

    /// <summary>The least-squares gain of observed on own, pooled over the planes with each plane's mean removed.</summary>
    private static double PooledGain(double[][] own, double[][] observed)
    {
        double product = 0, square = 0;
        for (var p = 0; p < own.Length; p++)
        {
            var (meanOwn, meanObserved) = (own[p].Average(), observed[p].Average());
            for (var i = 0; i < own[p].Length; i++)
            {
                product += (own[p][i] - meanOwn) * (observed[p][i] - meanObserved);
                square += (own[p][i] - meanOwn) * (own[p][i] - meanOwn);
            }
        }
        return square > 0 ? product / square : 0;
    }

    private static (double Residual, double Gain) Fit(double[] observed, int[] rows, int k, Action<int, Span<double>> terms)
    {
        var (residual, gain, _) = Solve(observed, rows, k, terms);
        return (residual, gain);
    }

    private static double Spread(double[] values)
    {
        var mean = values.Average();
        return Math.Sqrt(values.Average(v => (v - mean) * (v - mean)));
    }

    /// <summary>The least-squares fit of observed on the terms over the rows, by the normal equations (a touch of ridge keeps
    /// them solvable when terms coincide, as the square of a two-tone target's luma does with the luma); the second term's
    /// coefficient is the gain.</summary>
    private static (double Residual, double Gain, double[] Errors) Solve(double[] observed, int[] rows, int k, Action<int, Span<double>> terms)
    {
        // The design matrix row by row in one array: the fits run seven times a scan, on up to 256 cells.
        var design = new double[rows.Length * k];
        for (var r = 0; r < rows.Length; r++) terms(rows[r], design.AsSpan(r * k, k));
        var normal = new double[k, k];
        var moment = new double[k];
        for (var r = 0; r < rows.Length; r++)
            for (var i = 0; i < k; i++)
            {
                moment[i] += design[r * k + i] * observed[rows[r]];
                for (var j = 0; j < k; j++) normal[i, j] += design[r * k + i] * design[r * k + j];
            }
        for (var i = 0; i < k; i++) normal[i, i] += 1e-9 * rows.Length;
        var coefficients = LinearSystem.Solve(normal, moment);
        var errors = new double[rows.Length];
        for (var r = 0; r < rows.Length; r++)
        {
            var fitted = 0.0;
            for (var i = 0; i < k; i++) fitted += design[r * k + i] * coefficients[i];
            errors[r] = fitted - observed[rows[r]];
        }
        return (errors.Sum(e => e * e), coefficients[1], errors);
    }
}
