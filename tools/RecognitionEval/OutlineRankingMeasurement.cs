using System.Diagnostics;
using ArFleet.Recognition.Engine;

namespace ArFleet.RecognitionEval;

/// <summary>The outline ranking alone (see OutlineIndex), on the queries' own quadrilaterals: the accepted targets in
/// cells against the same targets each compared with every view, in the same run, and how often both put the same
/// target first.</summary>
public static class OutlineRankingMeasurement
{
    /// <summary><paramref name="scans"/>: each query's views, Outlines.CoarseLength numbers each, one after another.</summary>
    public static object Run(IReadOnlyList<IndexedTarget> targets, IReadOnlyList<float[]> scans)
    {
        var inCells = new OutlineIndex();
        var everyTarget = new OutlineIndex(linearBelow: int.MaxValue);
        for (var slot = 0; slot < targets.Count; slot++)
        {
            if (targets[slot].Colour is not { } colour) continue;
            var coarse = Outlines.Coarse(colour);
            inCells.Set(slot, coarse);
            everyTarget.Set(slot, coarse);
        }

        double MsPerScan(OutlineIndex index, List<(int Id, float Score)> best)
        {
            var clock = Stopwatch.StartNew();
            foreach (var views in scans) best.Add(index.Ranked(views, RecognitionThresholds.OutlineMatching.Shortlisted, _ => true).FirstOrDefault((-1, 0)));
            return scans.Count == 0 ? 0 : Math.Round(clock.Elapsed.TotalMilliseconds / scans.Count, 3);
        }
        List<(int Id, float Score)> bestInCells = [], bestOfEveryTarget = [];
        var inCellsMs = MsPerScan(inCells, bestInCells);
        var everyTargetMs = MsPerScan(everyTarget, bestOfEveryTarget);
        double? SameBest(Func<(int Id, float Score), bool> scansWhere)
        {
            var compared = bestOfEveryTarget.Zip(bestInCells).Where(b => scansWhere(b.First)).ToList();
            return compared.Count == 0 ? null : Math.Round(compared.Count(b => b.First.Id == b.Second.Id) / (double)compared.Count, 4);
        }
        return new
        {
            targets = inCells.Count,
            cells = inCells.Cells,
            scans = scans.Count,
            viewsPerScan = scans.Count == 0 ? 0 : Math.Round(scans.Average(s => s.Length / Outlines.CoarseLength), 1),
            msPerScanInCells = inCellsMs,
            msPerScanEveryTarget = everyTargetMs,
            sameBestTarget = SameBest(_ => true),
            // Scans whose best target correlates enough to be an outline match's (coarsely): the ones that matter.
            closeScans = bestOfEveryTarget.Count(b => b.Score >= RecognitionThresholds.OutlineMatching.MinCorrelation),
            sameBestTargetOfCloseScans = SameBest(b => b.Score >= RecognitionThresholds.OutlineMatching.MinCorrelation),
        };
    }
}
