namespace ArFleet.Recognition.Engine;

/// <summary>Small dense linear systems: Newton steps of the fits in recognize-eval and the least-squares fits of the recapture
/// cues.</summary>
public static class LinearSystem
{
    /// <summary>Solves a · x = b by Gauss-Jordan elimination with partial pivoting (small systems: Newton steps).</summary>
    public static double[] Solve(double[,] a, double[] b)
    {
        var n = b.Length;
        var m = new double[n, n + 1];
        for (var i = 0; i < n; i++) { for (var j = 0; j < n; j++) m[i, j] = a[i, j]; m[i, n] = b[i]; }
        for (var c = 0; c < n; c++)
        {
            var pivot = Enumerable.Range(c, n - c).MaxBy(r => Math.Abs(m[r, c]));
            for (var j = 0; j <= n; j++) (m[c, j], m[pivot, j]) = (m[pivot, j], m[c, j]);
            for (var r = 0; r < n; r++)
            {
                if (r == c) continue;
                var f = m[r, c] / m[c, c];
                for (var j = c; j <= n; j++) m[r, j] -= f * m[c, j];
            }
        }
        return Enumerable.Range(0, n).Select(i => m[i, n] / m[i, i]).ToArray();
    }
}
