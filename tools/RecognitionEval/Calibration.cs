using ArFleet.Recognition.Engine;

namespace ArFleet.RecognitionEval;

/// <summary>Fits the confidence the recogniser reports: a logistic regression of "this verified match is the
/// right target" on ln(inliers) and the inlier ratio. Positives are each query verified against its own target;
/// negatives are the best match the index finds for it among the other targets, both with a lowered inlier
/// minimum so the fit sees the boundary from both sides.</summary>
public sealed class Calibration
{
    public const int SampleMinInliers = 8;
    private readonly List<(double Inliers, double Ratio, bool Correct)> samples = [];

    public void Add(TargetMatch? match, bool correct)
    {
        // Outline matches have a confidence of their own (Outlines.Confidence).
        if (match is { Kind: MatchKind.Features }) samples.Add((match.Inliers, match.InlierRatio, correct));
    }

    /// <summary>Coefficients (intercept, ln inliers, inlier ratio) by Newton's method on the log-likelihood,
    /// with a little ridge so that cleanly separable samples still give finite coefficients.</summary>
    public double[] Fit()
    {
        var w = new double[3];
        for (var iteration = 0; iteration < 50; iteration++)
        {
            var gradient = new double[3];
            var hessian = new double[3, 3];
            foreach (var s in samples)
            {
                double[] x = [1, Math.Log(s.Inliers), s.Ratio];
                var p = Sigmoid(w[0] * x[0] + w[1] * x[1] + w[2] * x[2]);
                for (var i = 0; i < 3; i++)
                {
                    gradient[i] += (p - (s.Correct ? 1 : 0)) * x[i];
                    for (var j = 0; j < 3; j++) hessian[i, j] += p * (1 - p) * x[i] * x[j];
                }
            }
            for (var i = 0; i < 3; i++) { gradient[i] += 0.01 * w[i]; hessian[i, i] += 0.01; }
            var step = LinearSystem.Solve(hessian, gradient);
            for (var i = 0; i < 3; i++) w[i] -= step[i];
            if (step.Sum(Math.Abs) < 1e-9) break;
        }
        return w.Select(v => Math.Round(v, 3)).ToArray();
    }

    /// <summary>Expected calibration error of a confidence function over the samples it would accept: the
    /// sample-weighted gap between mean confidence and the share correct, in ten bins.</summary>
    public double ExpectedCalibrationError(Func<int, double, double> confidence, int minInliers)
    {
        var accepted = samples.Where(s => s.Inliers >= minInliers).Select(s => (Confidence: confidence((int)s.Inliers, s.Ratio), s.Correct)).ToList();
        if (accepted.Count == 0) return 0;
        return Math.Round(accepted.GroupBy(s => Math.Min(9, (int)(s.Confidence * 10)))
            .Sum(bin => bin.Count() * Math.Abs(bin.Average(s => s.Confidence) - bin.Average(s => s.Correct ? 1.0 : 0.0))) / accepted.Count, 4);
    }

    public int Positives => samples.Count(s => s.Correct);
    public int Negatives => samples.Count(s => !s.Correct);

    private static double Sigmoid(double z) => 1 / (1 + Math.Exp(-z));
}
