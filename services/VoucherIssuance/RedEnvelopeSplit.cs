namespace ArFleet.VoucherIssuance;

/// <summary>The "double mean" split of a red-envelope pool: each amount is uniform in [1 cent, 2 × the mean of
/// what remains], the last one takes the remainder, so the amounts sum to exactly the pool and average out fairly.</summary>
public static class RedEnvelopeSplit
{
    public static long[] Split(long totalCents, int count)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(count, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(totalCents, count); // every envelope holds at least 1 cent
        var amounts = new long[count];
        var remaining = totalCents;
        for (var i = 0; i < count - 1; i++)
        {
            var left = count - i;
            // At most twice the mean, and never so much that a later envelope would be left empty.
            var max = Math.Min(2 * remaining / left, remaining - (left - 1));
            amounts[i] = Random.Shared.NextInt64(1, Math.Max(1, max) + 1);
            remaining -= amounts[i];
        }
        amounts[^1] = remaining;
        return amounts;
    }
}
