using ArFleet.Recognition.Engine;

namespace ArFleet.Recognition.Tests;

public class BinaryWordIndexTests
{
    [Fact]
    public void Packs_a_words_sampled_bits_as_PEXT_does_on_processors_without_it()
    {
        Assert.Equal(0b1110UL, BinaryWordIndex.PackBits(0b1100_0101UL, 0b1100_0110UL)); // bits 1, 2, 6 and 7 of the value
        if (!System.Runtime.Intrinsics.X86.Bmi2.X64.IsSupported) return;
        var random = new Random(8);
        for (var i = 0; i < 10_000; i++)
        {
            var (value, mask) = ((ulong)random.NextInt64() ^ ((ulong)random.Next() << 63), (ulong)random.NextInt64() & (ulong)random.NextInt64());
            Assert.Equal(System.Runtime.Intrinsics.X86.Bmi2.X64.ParallelBitExtract(value, mask), BinaryWordIndex.PackBits(value, mask));
        }
    }

    [Theory]
    [InlineData(40, 12)]
    [InlineData(200, 16)] // 480,000 entries in mostly separate words: several chunks of blocks
    public void Votes_for_the_targets_sharing_close_descriptors_and_forgets_removed_ones(int targetCount, int bits)
    {
        var random = new Random(5);
        var index = new BinaryWordIndex(tables: 8, bits: bits, maxDistance: 40);
        var targets = Enumerable.Range(0, targetCount).Select(_ => { var d = new byte[32 * 300]; random.NextBytes(d); return d; }).ToArray();
        for (var slot = 0; slot < targets.Length; slot++) index.Add(slot, targets[slot]);

        for (var slot = 0; slot < targets.Length; slot++)
            Assert.Equal(slot, index.Shortlist(Noisy(targets[slot], random), targets.Length, count: 3, minVotes: 5).FirstOrDefault(-1));

        int[] removed = [0, 17, targetCount - 1];
        foreach (var slot in removed) index.Remove(slot, targets[slot]);
        for (var slot = 0; slot < targets.Length; slot++)
        {
            var shortlist = index.Shortlist(Noisy(targets[slot], random), targets.Length, count: 3, minVotes: 5);
            if (removed.Contains(slot)) Assert.Empty(shortlist);
            else Assert.Equal(slot, shortlist.FirstOrDefault(-1));
        }
    }

    [Fact]
    public void Details_that_most_targets_share_count_for_less_than_a_targets_own_details()
    {
        // 290 logos on the same plate carry 200 features of one shared set (its edges and corners) and 40 of their
        // own; 10 other targets have only their own 40. A scan of one of the 10 also shows 60 plate-like details:
        // counted alike, those 60 votes would put a plate logo first; weighted by rarity, the 12 own ones win.
        var random = new Random(9);
        var shared = new byte[32 * 200];
        random.NextBytes(shared);
        var index = new BinaryWordIndex(tables: 8, bits: 12, maxDistance: 40);
        var own = new byte[300][];
        for (var slot = 0; slot < own.Length; slot++)
        {
            own[slot] = new byte[32 * 40];
            random.NextBytes(own[slot]);
            index.Add(slot, slot < 290 ? [.. shared, .. own[slot]] : own[slot]);
        }
        for (var slot = 290; slot < own.Length; slot++)
        {
            var scan = Noisy([.. shared.AsSpan(0, 32 * 60), .. own[slot].AsSpan(0, 32 * 12)], random);
            Assert.Equal(slot, index.Shortlist(scan, own.Length, count: 1, minVotes: 3).FirstOrDefault(-1));
        }
    }

    [Fact]
    public void A_plain_target_the_scan_shows_outranks_the_chance_votes_of_a_detailed_one()
    {
        // A poster has 1,000 features and a logo 60. The scan shows half of the logo (30 features) and, by chance,
        // 45 details that resemble some of the poster's: more votes for the poster, a far larger share of the logo.
        var random = new Random(11);
        var poster = new byte[32 * 1000];
        var logo = new byte[32 * 60];
        random.NextBytes(poster);
        random.NextBytes(logo);
        var index = new BinaryWordIndex(tables: 8, bits: 12, maxDistance: 40);
        index.Add(0, poster);
        index.Add(1, logo);
        var scan = Noisy([.. logo.AsSpan(0, 32 * 30), .. poster.AsSpan(0, 32 * 45)], random);
        Assert.Equal([1, 0], index.Shortlist(scan, 2, count: 2, minVotes: 3));
    }

    [Fact]
    public void Ineligible_targets_take_no_place_on_the_shortlist()
    {
        var random = new Random(3);
        var index = new BinaryWordIndex(tables: 8, bits: 12, maxDistance: 40);
        var target = new byte[32 * 300];
        random.NextBytes(target);
        index.Add(0, target);
        index.Add(1, Noisy(target, random)); // a near-duplicate of slot 0
        var scan = Noisy(target, random);
        Assert.Equal([0], index.Shortlist(scan, 2, count: 1, minVotes: 5));
        Assert.Equal([1], index.Shortlist(scan, 2, count: 1, minVotes: 5, eligible: slot => slot != 0));
    }

    /// <summary>The descriptors with a few bits flipped, as a second view of the same details gives them.</summary>
    private static byte[] Noisy(byte[] descriptors, Random random)
    {
        var copy = (byte[])descriptors.Clone();
        for (var flips = copy.Length / 32 * 10; flips > 0; flips--) copy[random.Next(copy.Length)] ^= (byte)(1 << random.Next(8));
        return copy;
    }
}
