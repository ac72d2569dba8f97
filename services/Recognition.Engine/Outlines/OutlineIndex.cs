using System.Buffers;
using static ArFleet.Recognition.Engine.RecognitionThresholds;

namespace ArFleet.Recognition.Engine;

/// <summary>The targets' coarse outline signatures (Outlines.Coarse), ranked against a scan's views. Up to OutlineRanking.LinearBelow
/// targets every one is compared with every view. Past that, targets are grouped into cells around about √n centres
/// (spherical k-means, trained again each time the number of targets has doubled), and each view is compared only with
/// the targets of its OutlineRanking.Probes nearest cells: at 50,000 targets a few per cent of the comparisons, instead of a cost that
/// grows with every target added. Slots are TargetIndex's. Not thread-safe: the caller serialises writers against
/// readers.</summary>
public sealed class OutlineIndex(int linearBelow = OutlineRanking.LinearBelow)
{
    private const int Length = Outlines.CoarseLength;
    private const int TrainingRounds = 10;

    // One slot's signature after another, so that a full comparison reads memory in order; all zero for an empty slot.
    private float[] signatures = [];
    private readonly HashSet<int> held = [];
    private float[] centres = [];
    private Cell[] cells = [];
    private int[] cellOf = [];
    private int trainedWith;

    public int Count => held.Count;
    /// <summary>Cells the targets are grouped in; 0 while every target is compared.</summary>
    public int Cells => cells.Length;

    /// <summary>Holds the slot's signature (replacing any before it); a slot without one is left out.</summary>
    public void Set(int slot, float[]? signature)
    {
        Clear(slot);
        if (signature is null || signature.All(v => v == 0)) return; // a flat image correlates with nothing
        if (signatures.Length < (slot + 1) * Length) Array.Resize(ref signatures, Math.Max(2 * signatures.Length, (slot + 1) * Length));
        signature.CopyTo(signatures.AsSpan(slot * Length, Length));
        held.Add(slot);
        if (held.Count >= linearBelow && held.Count >= 2 * trainedWith) Train();
        else if (cells.Length > 0) Join(slot);
    }

    public void Clear(int slot)
    {
        if (!held.Remove(slot)) return;
        signatures.AsSpan(slot * Length, Length).Clear();
        if (cells.Length > 0 && cellOf[slot] >= 0) cells[cellOf[slot]].Remove(slot);
    }

    /// <summary>The <paramref name="count"/> eligible slots whose signature correlates best with any of the views
    /// (Length numbers each, one after another), best first, with that correlation.</summary>
    public List<(int Id, float Score)> Ranked(float[] views, int count, Func<int, bool> eligible)
    {
        var ranked = new BestScores(count);
        void Offer(int slot, float score)
        {
            if (ranked.Admits(score) && eligible(slot)) ranked.Offer(slot, score);
        }
        if (cells.Length == 0)
        {
            for (var slot = 0; slot < signatures.Length / Length; slot++)
                if (held.Contains(slot)) Offer(slot, Outlines.BestCorrelation(Signature(slot), views));
            return ranked.Items;
        }
        // Each compared slot's best correlation (rented per scan: scans run in parallel under the caller's read lock).
        var capacity = signatures.Length / Length;
        var best = ArrayPool<float>.Shared.Rent(capacity);
        try
        {
            Array.Fill(best, float.NegativeInfinity, 0, capacity);
            var compared = new List<int>();
            for (var at = 0; at + Length <= views.Length; at += Length)
            {
                var view = views.AsSpan(at, Length);
                foreach (var cell in Nearest(view, OutlineRanking.Probes))
                    for (var i = 0; i < cells[cell].Count; i++)
                    {
                        var slot = cells[cell].Slots[i];
                        var score = ColourSignature.Correlation(cells[cell].Vectors.AsSpan(i * Length, Length), view);
                        if (float.IsNegativeInfinity(best[slot])) compared.Add(slot);
                        best[slot] = Math.Max(best[slot], score);
                    }
            }
            foreach (var slot in compared) Offer(slot, best[slot]);
        }
        finally { ArrayPool<float>.Shared.Return(best); }
        return ranked.Items;
    }

    private ReadOnlySpan<float> Signature(int slot) => signatures.AsSpan(slot * Length, Length);

    /// <summary>The <paramref name="count"/> cells whose centres correlate best with the signature.</summary>
    private int[] Nearest(ReadOnlySpan<float> signature, int count)
    {
        var nearest = new BestScores(count);
        for (var cell = 0; cell < cells.Length; cell++) nearest.Offer(cell, ColourSignature.Correlation(centres.AsSpan(cell * Length, Length), signature));
        return nearest.Items.Select(n => n.Id).ToArray();
    }

    private int NearestCell(ReadOnlySpan<float> signature)
    {
        var (nearest, best) = (0, float.NegativeInfinity);
        for (var cell = 0; cell < cells.Length; cell++)
        {
            var score = ColourSignature.Correlation(centres.AsSpan(cell * Length, Length), signature);
            if (score > best) (nearest, best) = (cell, score);
        }
        return nearest;
    }

    private void Join(int slot)
    {
        if (cellOf.Length <= slot) Array.Resize(ref cellOf, Math.Max(2 * cellOf.Length, slot + 1));
        cellOf[slot] = NearestCell(Signature(slot));
        cells[cellOf[slot]].Add(slot, Signature(slot));
    }

    /// <summary>Spherical k-means over the held signatures, √n centres started from evenly spaced targets (so every
    /// worker holding the same targets groups them alike); each target then joins its nearest centre's cell.</summary>
    private void Train()
    {
        var slots = held.Order().ToArray();
        var k = (int)Math.Sqrt(slots.Length);
        centres = new float[k * Length];
        for (var cell = 0; cell < k; cell++) Signature(slots[(int)((long)cell * slots.Length / k)]).CopyTo(centres.AsSpan(cell * Length));
        cells = new Cell[k];
        cellOf = new int[signatures.Length / Length];
        var assigned = new int[slots.Length];
        for (var round = 0; round < TrainingRounds; round++)
        {
            for (var i = 0; i < slots.Length; i++) assigned[i] = NearestCell(Signature(slots[i]));
            var sums = new double[k * Length];
            for (var i = 0; i < slots.Length; i++)
            {
                var signature = Signature(slots[i]);
                for (var j = 0; j < Length; j++) sums[assigned[i] * Length + j] += signature[j];
            }
            for (var cell = 0; cell < k; cell++)
            {
                var sum = sums.AsSpan(cell * Length, Length);
                var norm = 0.0;
                foreach (var v in sum) norm += v * v;
                norm = Math.Sqrt(norm);
                if (norm < 1e-9) continue; // an empty cell keeps its centre
                for (var j = 0; j < Length; j++) centres[cell * Length + j] = (float)(sum[j] / norm);
            }
        }
        for (var cell = 0; cell < k; cell++) cells[cell] = new Cell();
        Array.Fill(cellOf, -1);
        foreach (var slot in slots) Join(slot);
        trainedWith = slots.Length;
    }

    /// <summary>A cell's targets, their signatures side by side, so that comparing a view with the cell reads memory in order.</summary>
    private sealed class Cell
    {
        public int[] Slots = new int[8];
        public float[] Vectors = new float[8 * Length];
        public int Count;

        public void Add(int slot, ReadOnlySpan<float> signature)
        {
            if (Count == Slots.Length)
            {
                Array.Resize(ref Slots, 2 * Count);
                Array.Resize(ref Vectors, 2 * Count * Length);
            }
            Slots[Count] = slot;
            signature.CopyTo(Vectors.AsSpan(Count * Length, Length));
            Count++;
        }

        /// <summary>Removes the slot; the last member takes its place.</summary>
        public void Remove(int slot)
        {
            var at = Array.IndexOf(Slots, slot, 0, Count);
            if (at < 0) return;
            Count--;
            Slots[at] = Slots[Count];
            Vectors.AsSpan(Count * Length, Length).CopyTo(Vectors.AsSpan(at * Length, Length));
        }
    }
}
