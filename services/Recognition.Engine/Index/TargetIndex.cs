using System.Runtime.InteropServices;
using Microsoft.Extensions.Options;
using OpenCvSharp;

namespace ArFleet.Recognition.Engine;

/// <summary>The targets this worker recognises. A query's descriptors vote through an inverted file of binary
/// words (<see cref="BinaryWordIndex"/>), whose cost depends on how many targets share a word rather than on how
/// many targets there are; only the few best-voted targets are matched descriptor by descriptor and verified
/// with a USAC_MAGSAC homography. A scan that no candidate verifies is matched by its outline (see Outlines).</summary>
/// <remarks>This file is the registry and its locking: writers take the write lock, a match holds the read lock while it
/// uses the targets. What a match decides is in TargetIndex.Matching.cs and TargetIndex.Placement.cs.</remarks>
public sealed partial class TargetIndex(IOptions<RecognitionOptions> options) : IDisposable
{
    private readonly RecognitionOptions options = options.Value;
    private readonly ReaderWriterLockSlim gate = new();
    private readonly BinaryWordIndex words = new(options.Value.HashTables, options.Value.HashBits, options.Value.MaxWordDistance);
    private readonly List<IndexedTarget?> slots = [];
    private readonly OutlineIndex outlines = new();
    // The targets' shapes, one entry each (its target's slot, the shape) in an index of their Shapes.Descriptor.
    private readonly OutlineIndex shapes = new();
    private readonly List<(int Slot, Shape Shape)?> shapeEntries = [];
    private readonly Stack<int> freeShapeEntries = new();
    private readonly Stack<int> freeSlots = new();
    private readonly Dictionary<Guid, int> slotOf = [];
    // Deleted targets stay refused: a late TargetIndexed for one of them must not bring it back.
    private readonly HashSet<Guid> deleted = [];
    // Deactivated targets keep their features but are not matched; an id may be here before its target is added.
    private readonly HashSet<Guid> inactive = [];

    public int Count { get { gate.EnterReadLock(); try { return slotOf.Count; } finally { gate.ExitReadLock(); } } }

    public bool Contains(Guid targetId)
    {
        gate.EnterReadLock();
        try { return slotOf.ContainsKey(targetId); } finally { gate.ExitReadLock(); }
    }

    /// <summary>Adds the target unless it is already here or was deleted; false when it was not added.</summary>
    public bool Add(IndexedTarget target)
    {
        var descriptors = DescriptorRows(target.Descriptors);
        var coarseOutline = target.Colour is null ? null : Outlines.Coarse(target.Colour);
        var shapeDescriptors = target.Colour is null ? [] : (target.Shapes ?? []).Select(shape => (shape, Shapes.Descriptor(shape.Polar))).ToArray();
        gate.EnterWriteLock();
        try
        {
            if (deleted.Contains(target.TargetId) || slotOf.ContainsKey(target.TargetId)) return false;
            var slot = freeSlots.Count > 0 ? freeSlots.Pop() : slots.Count;
            if (slot == slots.Count) slots.Add(target); else slots[slot] = target;
            outlines.Set(slot, coarseOutline);
            foreach (var (shape, descriptor) in shapeDescriptors)
            {
                var entry = freeShapeEntries.Count > 0 ? freeShapeEntries.Pop() : shapeEntries.Count;
                if (entry == shapeEntries.Count) shapeEntries.Add((slot, shape)); else shapeEntries[entry] = (slot, shape);
                shapes.Set(entry, descriptor);
            }
            slotOf[target.TargetId] = slot;
            words.Add(slot, descriptors);
            return true;
        }
        finally { gate.ExitWriteLock(); }
    }

    /// <summary>Drops the target at once; no match returned after this call names it.</summary>
    public void Remove(Guid targetId)
    {
        gate.EnterWriteLock();
        try
        {
            deleted.Add(targetId);
            if (!slotOf.Remove(targetId, out var slot)) return;
            var target = slots[slot]!;
            words.Remove(slot, DescriptorRows(target.Descriptors));
            slots[slot] = null;
            outlines.Clear(slot);
            for (var entry = 0; entry < shapeEntries.Count; entry++)
                if (shapeEntries[entry]?.Slot == slot)
                {
                    shapes.Clear(entry);
                    shapeEntries[entry] = null;
                    freeShapeEntries.Push(entry);
                }
            freeSlots.Push(slot);
            target.Descriptors.Dispose(); // safe: matches hold the read lock while they use a target
        }
        finally { gate.ExitWriteLock(); }
    }

    /// <summary>Stops (false) or resumes (true) matching the target at once, whether or not it has been added yet.</summary>
    public void SetActive(Guid targetId, bool active)
    {
        gate.EnterWriteLock();
        try { if (active) inactive.Remove(targetId); else inactive.Add(targetId); }
        finally { gate.ExitWriteLock(); }
    }

    /// <summary>The best verified match, or null when no registered target is in the image. Inactive targets
    /// and <paramref name="exclude"/> are left out before the shortlist is cut, so they take no candidate's place;
    /// <paramref name="minInliers"/> overrides the configured minimum (recognize-eval's calibration uses it).</summary>
    public TargetMatch? Match(ImageFeatures query, Guid? exclude = null, int? minInliers = null) =>
        Matches(query, exclude, minInliers ?? options.MinInliers, all: false).FirstOrDefault();

    /// <summary>Every registered target in the image, best first (the best is what Match returns): the same image registered
    /// by several brands, and several targets in one frame (a shelf of logos). Only feature matches are counted beyond the
    /// best; an empty list when none is there.</summary>
    public IReadOnlyList<TargetMatch> MatchAll(ImageFeatures query, Guid? exclude = null) =>
        Matches(query, exclude, options.MinInliers, all: true);

    private List<TargetMatch> Matches(ImageFeatures query, Guid? exclude, int minInliers, bool all)
    {
        if (query.Count < 8) return [];
        var descriptors = DescriptorRows(query.Descriptors);
        gate.EnterReadLock();
        try { return Matched(query, descriptors, exclude, minInliers, all); }
        finally { gate.ExitReadLock(); }
    }

    /// <summary>The target's ColourSignature, or null when it has none or is not here (the reference RecaptureDetector
    /// compares a scan's colours with).</summary>
    public byte[]? ColourOf(Guid targetId)
    {
        gate.EnterReadLock();
        try { return slotOf.TryGetValue(targetId, out var slot) ? slots[slot]?.Colour : null; }
        finally { gate.ExitReadLock(); }
    }

    /// <summary>The descriptors as 32-byte rows in one managed array.</summary>
    public static byte[] DescriptorRows(Mat descriptors)
    {
        var bytes = new byte[descriptors.Rows * descriptors.Cols];
        if (bytes.Length == 0) return bytes;
        if (descriptors.IsContinuous()) Marshal.Copy(descriptors.Data, bytes, 0, bytes.Length);
        else using (var copy = descriptors.Clone()) Marshal.Copy(copy.Data, bytes, 0, bytes.Length);
        return bytes;
    }

    public void Dispose() => gate.Dispose();
}
