using ArFleet.Recognition.Engine;

namespace ArFleet.Recognition.Tests;

public class OutlineIndexTests
{
    private const int Length = Outlines.CoarseLength;

    [Theory]
    [InlineData(1_000)] // every target compared
    [InlineData(12_000)] // in cells
    public void Ranks_as_a_comparison_with_every_target_would(int targetCount)
    {
        // Targets come in look-alike families, as logos on the same white plate do: siblings correlate about 0.65, a
        // scan of a target about 0.88 with it (an outline match's least) and 0.6 with its siblings. Each scan has three
        // more views, of unrelated quadrilaterals. With one cell probed per view instead of RecognitionThresholds.OutlineRanking.Probes, some
        // scans miss their target.
        var random = new Random(3);
        var families = Enumerable.Range(0, 150).Select(_ => Unit(Gaussian(random, 1))).ToArray();
        var targets = Enumerable.Range(0, targetCount).Select(i => Unit(Add(families[i % families.Length], Gaussian(random, 0.7 / Math.Sqrt(Length)))))
            .ToArray();
        var index = new OutlineIndex();
        for (var slot = 0; slot < targets.Length; slot++) index.Set(slot, targets[slot]);
        Assert.Equal(targetCount, index.Count);
        Assert.Equal(targetCount < RecognitionThresholds.OutlineRanking.LinearBelow ? 0 : (int)Math.Sqrt(8_192), index.Cells); // trained at 4,096 and 8,192

        for (var scan = 0; scan < 300; scan++)
        {
            var shown = random.Next(targets.Length);
            float[][] views = [Unit(Gaussian(random, 1)), Unit(Add(targets[shown], Gaussian(random, 0.55 / Math.Sqrt(Length)))),
                Unit(Gaussian(random, 1)), Unit(Gaussian(random, 1))];
            var ranked = index.Ranked([.. views.SelectMany(v => v)], 16, _ => true);
            var everyTarget = Enumerable.Range(0, targets.Length).Select(slot => (Slot: slot, Score: views.Max(v => Dot(targets[slot], v))))
                .OrderByDescending(r => r.Score).First();
            Assert.Equal(shown, everyTarget.Slot);
            Assert.Equal(shown, ranked[0].Id);
            Assert.Equal(everyTarget.Score, ranked[0].Score, tolerance: 1e-4f);
            Assert.Equal(16, ranked.Count);
        }
    }

    [Theory]
    [InlineData(500)]
    [InlineData(5_000)]
    public void Cleared_and_ineligible_targets_are_never_ranked_and_a_set_signature_replaces_the_last(int targetCount)
    {
        var random = new Random(4);
        var targets = Enumerable.Range(0, targetCount).Select(_ => Unit(Gaussian(random, 1))).ToArray();
        var index = new OutlineIndex();
        for (var slot = 0; slot < targets.Length; slot++) index.Set(slot, targets[slot]);

        index.Clear(7);
        Assert.DoesNotContain(index.Ranked(targets[7], 16, _ => true), r => r.Id == 7);
        Assert.DoesNotContain(index.Ranked(targets[8], 16, slot => slot != 8), r => r.Id == 8);
        Assert.Equal(8, index.Ranked(targets[8], 16, _ => true)[0].Id);

        // Slot 9 takes another target's signature (a freed slot reused): it answers for that one, not its old one.
        index.Set(9, targets[7]);
        Assert.Equal(9, index.Ranked(targets[7], 1, _ => true)[0].Id);
        Assert.NotEqual(9, index.Ranked(targets[9], 1, _ => true)[0].Id);
        // A flat image's signature (all zero) correlates with nothing and is not held.
        index.Set(10, new float[Length]);
        Assert.Equal(targetCount - 2, index.Count);
    }

    private static float[] Gaussian(Random random, double sigma) =>
        Enumerable.Range(0, Length)
            .Select(_ => (float)(sigma * Math.Sqrt(-2 * Math.Log(1 - random.NextDouble())) * Math.Cos(2 * Math.PI * random.NextDouble()))).ToArray();

    private static float[] Add(float[] a, float[] b) => a.Zip(b, (x, y) => x + y).ToArray();

    private static float[] Unit(float[] v)
    {
        var norm = (float)Math.Sqrt(v.Sum(x => x * x));
        return v.Select(x => x / norm).ToArray();
    }

    private static float Dot(float[] a, float[] b) => a.Zip(b, (x, y) => x * y).Sum();
}
