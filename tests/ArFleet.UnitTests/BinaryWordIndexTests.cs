using ArFleet.Recognition;

namespace ArFleet.UnitTests;

public class BinaryWordIndexTests
{
    [Fact]
    public void Votes_for_the_targets_sharing_close_descriptors_and_forgets_removed_ones()
    {
        var random = new Random(5);
        var index = new BinaryWordIndex(tables: 8, bits: 12, maxDistance: 40);
        var targets = Enumerable.Range(0, 40).Select(_ => { var d = new byte[32 * 300]; random.NextBytes(d); return d; }).ToArray();
        for (var slot = 0; slot < targets.Length; slot++) index.Add(slot, targets[slot]);

        for (var slot = 0; slot < targets.Length; slot++)
            Assert.Equal(slot, index.Shortlist(Noisy(targets[slot], random), targets.Length, count: 3, minVotes: 5).FirstOrDefault(-1));

        foreach (var removed in new[] { 0, 17, 39 }) index.Remove(removed, targets[removed]);
        for (var slot = 0; slot < targets.Length; slot++)
        {
            var shortlist = index.Shortlist(Noisy(targets[slot], random), targets.Length, count: 3, minVotes: 5);
            if (slot is 0 or 17 or 39) Assert.Empty(shortlist);
            else Assert.Equal(slot, shortlist.FirstOrDefault(-1));
        }
    }

    /// <summary>The descriptors with a few bits flipped, as a second view of the same details gives them.</summary>
    private static byte[] Noisy(byte[] descriptors, Random random)
    {
        var copy = (byte[])descriptors.Clone();
        for (var flips = copy.Length / 32 * 10; flips > 0; flips--) copy[random.Next(copy.Length)] ^= (byte)(1 << random.Next(8));
        return copy;
    }
}
