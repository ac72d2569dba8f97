using System.Buffers;
using System.Numerics;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics.X86;

namespace ArFleet.Recognition.Engine;

/// <summary>An inverted file over binary words: each of <c>tables</c> hash functions reads a fixed random
/// choice of <c>bits</c> bits of a 256-bit ORB descriptor, and every bucket lists the target features
/// (slot and feature number) whose descriptor has that word: locality-sensitive hashing for Hamming space.
/// A query descriptor votes once for each target with a feature that shares a word with it in any table and
/// is within maxDistance bits of it, so chance collisions, which would otherwise outvote a small target, do not
/// count. A vote weighs the word's rarity (idf): words that many targets share, as the edges of flat logos do,
/// say little, and the most common ones (stop words, far above a bucket's mean length) are not read at all.
/// A target's score is its weighted votes per feature it has, the share of it that the scan shows: summed
/// votes alone favour detailed posters, whose thousand features collect chance votes that a plain logo's
/// hundred cannot. A query reads about features × tables × (a bucket's mean length) entries; long words
/// (22 bits) keep buckets short at 50,000 targets and many tables (16) keep the chance that two near
/// descriptors share a word high (measured, see README). There is no vocabulary to train
/// or keep in step across workers. Not thread-safe: the caller serialises writers against readers.</summary>
public sealed class BinaryWordIndex
{
    public const int MaxFeatures = 1 << FeatureBits;
    private const int FeatureBits = 11;
    private const int DescriptorBytes = 32;
    private readonly int maxDistance;
    private readonly int tables;
    private readonly int bits;
    // Per table, four masks: the sampled bits of each of the descriptor's four 64-bit words.
    private readonly ulong[] sampledBits;
    // Buckets are chains of fixed-size blocks rather than millions of small arrays: adding hundreds of millions
    // of entries then costs no garbage collection. Each table numbers its own blocks and keeps them in chunks of
    // 1 MB, so the pool grows without copying, past the 2^31 elements one array can hold, and the tables of a new
    // target are filled in parallel. A block's first int links to the bucket's previous block.
    private const int BlockEntries = 15;
    private const int BlockSize = BlockEntries + 1;
    private const int ChunkBits = 14;
    private readonly int[][][] chunks;
    private readonly int[] blocksUsed; // per table; block 0 stands for "none"
    private long entries;
    private readonly int[] newestBlock;
    private readonly int[] lengths;
    private readonly List<ulong[]?> descriptorsOf = [];

    public BinaryWordIndex(int tables, int bits, int maxDistance)
    {
        this.maxDistance = maxDistance;
        this.tables = tables;
        this.bits = bits;
        var random = new Random(20260101); // fixed: every worker hashes alike (not required, but reproducible)
        sampledBits = new ulong[tables * 4];
        for (var t = 0; t < tables; t++)
            foreach (var bit in Enumerable.Range(0, DescriptorBytes * 8).OrderBy(_ => random.Next()).Take(bits))
                sampledBits[t * 4 + bit / 64] |= 1UL << (bit % 64);
        newestBlock = new int[tables << bits];
        lengths = new int[tables << bits];
        chunks = Enumerable.Range(0, tables).Select(_ => Array.Empty<int[]>()).ToArray();
        blocksUsed = Enumerable.Repeat(1, tables).ToArray();
    }

    /// <summary>The table's sampled bits of the descriptor, side by side, in the table's range of buckets.</summary>
    private int Bucket(int table, ReadOnlySpan<byte> descriptor)
    {
        var words = MemoryMarshal.Cast<byte, ulong>(descriptor);
        ulong key = 0;
        var width = 0;
        for (var i = 0; i < 4; i++)
        {
            var mask = sampledBits[table * 4 + i];
            key |= Extract(words[i], mask) << width;
            width += BitOperations.PopCount(mask);
        }
        return (table << bits) | (int)key;
    }

    /// <summary>The bits of value under mask, packed to the right (PEXT where the processor has it).</summary>
    private static ulong Extract(ulong value, ulong mask) =>
        Bmi2.X64.IsSupported ? Bmi2.X64.ParallelBitExtract(value, mask) : PackBits(value, mask);

    /// <summary>Extract without PEXT, one bit at a time.</summary>
    internal static ulong PackBits(ulong value, ulong mask)
    {
        ulong packed = 0;
        for (var (at, rest) = (0, mask); rest != 0; at++, rest &= rest - 1)
            packed |= ((value >> BitOperations.TrailingZeroCount(rest)) & 1) << at;
        return packed;
    }

    public void Add(int slot, byte[] descriptors)
    {
        var count = Math.Min(descriptors.Length / DescriptorBytes, MaxFeatures);
        while (descriptorsOf.Count <= slot) descriptorsOf.Add(null);
        descriptorsOf[slot] = MemoryMarshal.Cast<byte, ulong>(descriptors.AsSpan(0, count * DescriptorBytes)).ToArray();
        // Tables share no bucket and no block, so each is filled on its own thread: a worker loading its index at
        // start-up spends most of its time here, in memory writes scattered over hundreds of megabytes.
        Parallel.For(0, tables, t =>
        {
            for (var feature = 0; feature < count; feature++)
                Append(t, Bucket(t, descriptors.AsSpan(feature * DescriptorBytes, DescriptorBytes)), (slot << FeatureBits) | feature);
        });
        entries += (long)count * tables;
    }

    private void Append(int table, int bucket, int entry)
    {
        var used = lengths[bucket] % BlockEntries;
        if (used == 0)
        {
            if (blocksUsed[table] >> ChunkBits == chunks[table].Length) chunks[table] = [.. chunks[table], new int[BlockSize << ChunkBits]];
            var block = blocksUsed[table]++;
            Block(table, block)[0] = newestBlock[bucket];
            newestBlock[bucket] = block;
        }
        Block(table, newestBlock[bucket])[1 + used] = entry;
        lengths[bucket]++;
    }

    /// <summary>A block of a table: the link to the bucket's previous block, then the entries.</summary>
    private Span<int> Block(int table, int block) =>
        chunks[table][block >> ChunkBits].AsSpan((block & ((1 << ChunkBits) - 1)) * BlockSize, BlockSize);

    /// <summary>The bucket's blocks, oldest first, with how many entries each holds.</summary>
    private List<(int Block, int Count)> Blocks(int bucket)
    {
        var blocks = new List<(int, int)>();
        var length = lengths[bucket];
        for (var block = newestBlock[bucket]; block != 0 && length > 0; block = Block(bucket >> bits, block)[0])
        {
            var count = blocks.Count == 0 && length % BlockEntries != 0 ? length % BlockEntries : BlockEntries;
            blocks.Add((block, count));
        }
        blocks.Reverse();
        return blocks;
    }

    public void Remove(int slot, byte[] descriptors)
    {
        var count = Math.Min(descriptors.Length / DescriptorBytes, MaxFeatures);
        for (var feature = 0; feature < count; feature++)
            for (var t = 0; t < tables; t++)
            {
                var bucket = Bucket(t, descriptors.AsSpan(feature * DescriptorBytes, DescriptorBytes));
                var blocks = Blocks(bucket);
                var kept = new List<int>(lengths[bucket]);
                foreach (var (block, held) in blocks)
                    for (var i = 0; i < held; i++)
                        if (Block(t, block)[1 + i] >> FeatureBits != slot) kept.Add(Block(t, block)[1 + i]);
                // Survivors are rewritten into the oldest blocks; the blocks left over stay unused.
                for (var i = 0; i < kept.Count; i++) Block(t, blocks[i / BlockEntries].Block)[1 + i % BlockEntries] = kept[i];
                var needed = (kept.Count + BlockEntries - 1) / BlockEntries;
                newestBlock[bucket] = needed == 0 ? 0 : blocks[needed - 1].Block;
                entries -= lengths[bucket] - kept.Count;
                lengths[bucket] = kept.Count;
            }
        descriptorsOf[slot] = null;
    }

    /// <summary>The slots with the highest idf-weighted votes per feature, best first, at most <paramref name="count"/> and
    /// each with at least <paramref name="minVotes"/> votes.</summary>
    public int[] Shortlist(byte[] query, int slotCount, int count, int minVotes, Func<int, bool>? eligible = null) =>
        ScoredShortlist(query, slotCount, count, minVotes, eligible).Select(b => b.Id).ToArray();

    /// <summary>Shortlist with each slot's score: its idf-weighted votes per feature of the target, so that targets seen
    /// about as fully score about alike whatever their feature counts.</summary>
    public List<(int Id, float Score)> ScoredShortlist(byte[] query, int slotCount, int count, int minVotes, Func<int, bool>? eligible = null)
    {
        var votes = ArrayPool<int>.Shared.Rent(Math.Max(1, slotCount));
        var scores = ArrayPool<float>.Shared.Rent(Math.Max(1, slotCount));
        var lastVoter = ArrayPool<int>.Shared.Rent(Math.Max(1, slotCount));
        // Per query descriptor and table: the bucket, its length and its newest block.
        var voters = query.Length / DescriptorBytes;
        var buckets = ArrayPool<int>.Shared.Rent(Math.Max(1, voters * tables));
        var bucketLengths = ArrayPool<int>.Shared.Rent(Math.Max(1, voters * tables));
        var bucketHeads = ArrayPool<int>.Shared.Rent(Math.Max(1, voters * tables));
        try
        {
            Array.Clear(votes, 0, slotCount);
            Array.Clear(scores, 0, slotCount);
            Array.Fill(lastVoter, -1, 0, slotCount);
            var words = MemoryMarshal.Cast<byte, ulong>(query.AsSpan());
            var targets = Math.Max(1, slotCount);
            var meanLength = Math.Max(1.0, (double)entries / (tables << bits));
            // A word shared by more than a few times the mean number of entries is a stop word.
            var stopWordLength = (int)Math.Min(int.MaxValue, 16 * meanLength + 8);
            for (var voter = 0; voter < voters; voter++)
                for (var t = 0; t < tables; t++)
                    buckets[voter * tables + t] = Bucket(t, query.AsSpan(voter * DescriptorBytes, DescriptorBytes));
            // The bucket heads span hundreds of megabytes, so nearly every read of one misses the cache. All are read
            // first, in a loop of independent loads that the processor overlaps, rather than one miss at a time.
            for (var i = 0; i < voters * tables; i++)
            {
                bucketLengths[i] = lengths[buckets[i]];
                if (bucketLengths[i] != 0) bucketHeads[i] = newestBlock[buckets[i]];
            }
            for (var voter = 0; voter < voters; voter++)
            {
                var q = words.Slice(voter * 4, 4);
                for (var t = 0; t < tables; t++)
                {
                    var remaining = bucketLengths[voter * tables + t];
                    if (remaining == 0 || remaining > stopWordLength) continue;
                    var weight = (float)Math.Log(1 + targets / (double)remaining);
                    var held = remaining % BlockEntries == 0 ? BlockEntries : remaining % BlockEntries;
                    for (var block = bucketHeads[voter * tables + t]; remaining > 0; remaining -= held, held = BlockEntries)
                    {
                        var blockEntries = Block(t, block);
                        block = blockEntries[0];
                        foreach (var entry in blockEntries.Slice(1, held))
                        {
                            var slot = entry >> FeatureBits;
                            if (lastVoter[slot] == voter) continue;
                            var d = descriptorsOf[slot]!;
                            var at = (entry & (MaxFeatures - 1)) * 4;
                            var distance = BitOperations.PopCount(q[0] ^ d[at]) + BitOperations.PopCount(q[1] ^ d[at + 1])
                                + BitOperations.PopCount(q[2] ^ d[at + 2]) + BitOperations.PopCount(q[3] ^ d[at + 3]);
                            if (distance > maxDistance) continue;
                            lastVoter[slot] = voter;
                            votes[slot]++;
                            scores[slot] += weight;
                        }
                    }
                }
            }

            var best = new BestScores(count);
            for (var slot = 0; slot < slotCount; slot++)
            {
                if (votes[slot] < minVotes) continue;
                var score = scores[slot] / (descriptorsOf[slot]!.Length / 4);
                if (best.Admits(score) && eligible?.Invoke(slot) != false) best.Offer(slot, score);
            }
            return best.Items;
        }
        finally
        {
            ArrayPool<int>.Shared.Return(votes);
            ArrayPool<float>.Shared.Return(scores);
            ArrayPool<int>.Shared.Return(lastVoter);
            ArrayPool<int>.Shared.Return(buckets);
            ArrayPool<int>.Shared.Return(bucketLengths);
            ArrayPool<int>.Shared.Return(bucketHeads);
        }
    }
}
