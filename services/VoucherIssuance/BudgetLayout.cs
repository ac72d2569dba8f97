using System.Text;

namespace ArFleet.VoucherIssuance;

/// <summary>How a campaign's budget is laid out, fixed in the ledger when its first reward is requested.
/// A user always maps to one home bucket, so each user's limits are decided atomically within that bucket.</summary>
public sealed record BudgetLayout(Guid CampaignId, Guid TenantId, int Budget, long? PoolCents, int Buckets)
{
    public bool IsRedEnvelopePool => PoolCents is not null;

    public int HomeBucket(string userId) => Buckets == 1 ? 0 : (int)(Fnv1a(userId) % (uint)Buckets);

    /// <summary>Bucket b's share of the budget; the first (budget mod buckets) get one more.</summary>
    public int Quota(int bucket) => Budget / Buckets + (bucket < Budget % Buckets ? 1 : 0);

    /// <summary>Stable across processes and .NET versions, unlike string.GetHashCode.</summary>
    private static uint Fnv1a(string value)
    {
        var hash = 2166136261u;
        foreach (var b in Encoding.UTF8.GetBytes(value)) hash = (hash ^ b) * 16777619u;
        return hash;
    }
}
